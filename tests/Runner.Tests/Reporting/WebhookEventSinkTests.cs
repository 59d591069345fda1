using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Core.Webhook;
using Serverless.Backup.Runner.Reporting;
using Serverless.Backup.Runner.Tests.Pipeline;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Runner.Tests.Reporting;

[Collection(RunnerCollection.Name)]
public sealed class WebhookEventSinkTests(RunnerFixture fixture)
{
    private const string Token = "session-token";
    private static readonly SessionSettings Session = new() { Namespace = "prod", Name = "shop-1", Configuration = "shop" };

    private static FailedEvent Failed() => new()
    {
        Verb = "backup", Namespace = "prod", Session = "shop-1", Time = DateTimeOffset.UtcNow, Reason = FailureReason.DumpFailed, Message = "x",
    };

    [Fact]
    public async Task Events_arrive_signed_for_their_session_after_the_webhook_recovers()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Token, failFirst: 2);
        using var http = new HttpClient();
        var sink = new WebhookEventSink(receiver.Url, Token, Session, "backup", TimeSpan.FromSeconds(10), http, NullLogger.Instance);

        await sink.PublishAsync(Failed(), CancellationToken.None);

        Assert.IsType<FailedEvent>(Assert.Single(receiver.Accepted));
        Assert.Equal(["prod/BackupSession/shop-1"], receiver.Headers);
    }

    [Theory]
    [InlineData("check")]
    [InlineData("forget")]
    [InlineData("unlock")]
    [InlineData("verify")]
    [InlineData("archive")]
    public async Task Maintenance_verbs_report_signed_for_their_MaintenanceSession(string verb)
    {
        await using var receiver = await WebhookReceiver.StartAsync(Token);
        using var http = new HttpClient();
        var sink = new WebhookEventSink(receiver.Url, Token, Session, verb, TimeSpan.FromSeconds(10), http, NullLogger.Instance);

        await sink.PublishAsync(Failed() with { Verb = verb, Reason = FailureReason.RepositoryLocked }, CancellationToken.None);

        Assert.IsType<FailedEvent>(Assert.Single(receiver.Accepted));
        Assert.Equal(["prod/MaintenanceSession/shop-1"], receiver.Headers);
    }

    [Fact]
    public async Task A_webhook_that_stays_down_is_a_warning_that_names_the_setting()
    {
        using var http = new HttpClient();
        var log = new StringWriter();
        using var loggers = JsonLogCapture.To(log);
        var closed = new Uri($"http://127.0.0.1:{TestEnvironment.FreePort()}/api/events");
        var sink = new WebhookEventSink(closed, Token, Session, "backup", TimeSpan.FromSeconds(2), http, loggers.CreateLogger("test"));

        await sink.PublishAsync(Failed(), CancellationToken.None);

        var warning = LogLine.Parse(log.ToString().Trim());
        Assert.Equal("Warning", warning.Level);
        Assert.Contains("WEBHOOK_URL", warning.Message);
    }

    [Fact]
    public void A_token_signs_only_its_own_session_and_a_changed_body_or_old_timestamp_fails()
    {
        var identity = new SessionIdentity("prod", "BackupSession", "shop-1", "uid-1");
        var token = WebhookSignature.DeriveToken("master", identity);
        var other = WebhookSignature.DeriveToken("master", identity with { Uid = "uid-2" });
        var body = "{\"type\":\"progress\"}"u8.ToArray();
        var now = DateTimeOffset.UtcNow;
        var signature = WebhookSignature.Sign(token, now.ToUnixTimeSeconds(), body);
        var timestamp = now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

        Assert.NotEqual(token, other);
        Assert.Equal(SignatureCheck.Valid, WebhookSignature.Verify(token, timestamp, signature, body, now));
        Assert.Equal(SignatureCheck.Mismatch, WebhookSignature.Verify(other, timestamp, signature, body, now));
        Assert.Equal(SignatureCheck.Mismatch, WebhookSignature.Verify(token, timestamp, signature, "{\"type\":\"failed\"}"u8.ToArray(), now));
        Assert.Equal(SignatureCheck.Expired, WebhookSignature.Verify(token, timestamp, signature, body, now.AddMinutes(6)));
        Assert.Equal(SignatureCheck.Missing, WebhookSignature.Verify(token, null, signature, body, now));
        Assert.Equal(SignatureCheck.Missing, WebhookSignature.Verify(token, timestamp, "sha1=abc", body, now));
    }

    [Fact]
    public async Task A_backup_reports_every_event_to_the_webhook_and_succeeds_when_the_webhook_is_down()
    {
        await using var receiver = await WebhookReceiver.StartAsync(Token);
        await SampleDatabase.CreateAsync(fixture.Database, "webhook_db");
        var settings = fixture.Settings("webhook-1", TestEnvironment.TempFolder("repo"), "webhook_db");
        settings = settings with { Reporting = settings.Reporting with { WebhookUrl = receiver.Url.ToString(), WebhookToken = Token } };

        var result = await RunnerProcess.RunAsync("backup", settings);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.IsType<StartedEvent>(receiver.Accepted[0]);
        Assert.Equal(result.Succeeded, Assert.IsType<SucceededEvent>(receiver.Accepted[^1]), new JsonEquality());
        Assert.All(receiver.Checks, c => Assert.Equal(SignatureCheck.Valid, c));

        var down = settings with
        {
            Session = settings.Session with { Name = "webhook-2" },
            Reporting = settings.Reporting with { WebhookUrl = $"http://127.0.0.1:{TestEnvironment.FreePort()}/api/events", WebhookRetry = TimeSpan.FromSeconds(2) },
        };
        var downResult = await RunnerProcess.RunAsync("backup", down);
        Assert.True(downResult.ExitCode == 0, downResult.ToString());
        Assert.Contains("WEBHOOK_URL", downResult.Stderr);
    }

    private sealed class JsonEquality : IEqualityComparer<RunnerEvent?>
    {
        public bool Equals(RunnerEvent? x, RunnerEvent? y) =>
            x is not null && y is not null && RunnerJson.Serialize(x) == RunnerJson.Serialize(y);

        public int GetHashCode(RunnerEvent? obj) => 0;
    }
}
