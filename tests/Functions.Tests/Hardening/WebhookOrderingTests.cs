using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Core.Webhook;
using Serverless.Backup.Control.Cluster;
using Serverless.Backup.Control;
using Serverless.Backup.Control.Settings;
using Serverless.Backup.Functions.Tests.Fakes;

namespace Serverless.Backup.Functions.Tests.Hardening;

/// <summary>
/// The webhook never rewrites a finished or newer state: validly signed replays (even from the same second),
/// events for a finished session and events whose own time cannot be right change nothing, in the session or in
/// Repository.status.
/// </summary>
public sealed class WebhookOrderingTests : ApiServerTest
{
    private const string Name = "shop-202611240100";
    private BackupSession session = null!;

    protected override async Task SeedAsync()
    {
        Seed<Repository>("repositories", """
            apiVersion: backup.serverless.dev/v1alpha1
            kind: Repository
            metadata: { name: repo, namespace: prod }
            spec: { backend: { local: { mountPath: /backups } } }
            """);
        session = new BackupSession
        {
            Metadata = new V1ObjectMeta
            {
                Name = Name, NamespaceProperty = "prod",
                Labels = new Dictionary<string, string> { [Api.RepositoryLabel] = "repo", [Api.ConfigurationLabel] = "shop" },
            },
        };
        Assert.True(await new KubernetesGateway(Client).TryCreateAsync(session, CancellationToken.None));
    }

    private Task<WebhookResult> Send(RunnerEvent runnerEvent, DateTimeOffset signedAt) => SendRaw(RunnerJson.Serialize(runnerEvent), signedAt);

    private Task<WebhookResult> SendRaw(string json, DateTimeOffset signedAt) => DeliverAsync("BackupSession", Name, json, signedAt);

    private JsonObject Status() => Server.Get(Crd, "backupsessions", "prod", Name)!["status"]?.AsObject() ?? [];

    private JsonNode? RepositoryStatus() => Server.Get(Crd, "repositories", "prod", "repo")!["status"];

    private static ProgressEvent Progress(long sequence, long bytes, DateTimeOffset time) => new()
    {
        Verb = "backup", Namespace = "prod", Session = Name, Time = time, Sequence = sequence, Database = "shop", BytesDone = bytes, TotalBytesDone = bytes, ElapsedSeconds = 1,
    };

    private static SucceededEvent Success(long sequence, string snapshot, DateTimeOffset time) => new()
    {
        Verb = "backup", Namespace = "prod", Session = Name, Time = time, Sequence = sequence, DurationSeconds = 3,
        Databases = [new DatabaseResult { Database = "shop", SnapshotId = snapshot, Bytes = 2048, Sha256 = new string('b', 64), DurationSeconds = 2 }],
        Repository = new RepositoryReport { SnapshotCount = 1, RecentSnapshots = [new SnapshotSummary { Id = snapshot, Time = time, Database = "shop", Session = Name, Configuration = "shop" }] },
    };

    [Fact]
    public async Task Events_of_one_second_are_taken_in_order_and_a_replay_from_that_second_cannot_move_progress_back()
    {
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(200, (await Send(new StartedEvent { Verb = "backup", Namespace = "prod", Session = Name, Time = now, Sequence = 1, Databases = ["shop"] }, now)).Status);
        Assert.Equal(200, (await Send(Progress(2, 100, now), now)).Status);
        Assert.Equal(200, (await Send(Progress(3, 200, now), now)).Status);

        var replays = new[] { await Send(Progress(2, 100, now), now), await Send(Progress(3, 200, now), now), await Send(Progress(2, 100, now), now.AddSeconds(-1)) };

        Assert.All(replays, r => Assert.Equal((409, "replayed"), (r.Status, r.Reason)));
        Assert.Equal(200, Status()["progress"]!["bytesDone"]!.GetValue<long>());
        Assert.Equal(200, (await Send(Progress(4, 300, now), now)).Status);
        Assert.Equal(300, Status()["progress"]!["bytesDone"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_finished_session_is_final_for_progress_a_second_success_and_a_failure()
    {
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(200, (await Send(Success(5, "aaaaaaaa11111111", now), now)).Status);
        var before = Status().ToJsonString();
        var repositoryBefore = RepositoryStatus()!.ToJsonString();

        var later = now.AddSeconds(30);
        var attempts = new[]
        {
            await Send(Progress(6, 999, later), later),
            await Send(Success(7, "bbbbbbbb22222222", later), later),
            await Send(new FailedEvent { Verb = "backup", Namespace = "prod", Session = Name, Time = later, Sequence = 8, Reason = FailureReason.DumpFailed, Message = "late" }, later),
        };

        Assert.All(attempts, a => Assert.Equal((409, "finished"), (a.Status, a.Reason)));
        Assert.Equal(before, Status().ToJsonString());
        Assert.Equal(repositoryBefore, RepositoryStatus()!.ToJsonString());
        Assert.DoesNotContain("bbbbbbbb22222222", RepositoryStatus()!.ToJsonString());
    }

    [Fact]
    public async Task A_session_settled_because_its_report_was_missing_takes_the_late_report_once()
    {
        Server.Mutate(Crd, "backupsessions", "prod", Name, s => s["status"] = new JsonObject { ["phase"] = "Succeeded", ["reason"] = SessionEvents.ReportMissing });
        var now = DateTimeOffset.UtcNow;

        Assert.Equal(200, (await Send(Success(9, "cccccccc33333333", now), now)).Status);
        Assert.Equal(409, (await Send(Success(10, "dddddddd44444444", now.AddSeconds(1)), now.AddSeconds(1))).Status);

        Assert.Contains("cccccccc33333333", Status().ToJsonString());
        Assert.DoesNotContain("dddddddd44444444", Status().ToJsonString());
    }

    [Theory]
    [InlineData("2099-01-01T00:00:00Z")]
    [InlineData("+00:10:00")]
    [InlineData("1970-01-01T00:00:01Z")]
    [InlineData("-2.00:00:00")]
    public async Task An_event_whose_own_time_cannot_be_right_is_refused_and_the_next_real_report_still_shows(string time)
    {
        var now = DateTimeOffset.UtcNow;
        var when = time.StartsWith('+') || time.StartsWith('-') ? now + TimeSpan.Parse(time.TrimStart('+'), CultureInfo.InvariantCulture) : DateTimeOffset.Parse(time, CultureInfo.InvariantCulture);

        var result = await Send(Success(1, "eeeeeeee55555555", when), now);

        Assert.Equal((400, "time"), (result.Status, result.Reason));
        Assert.Contains("check the runner's clock", result.Message);
        Assert.Null(Status()["phase"]);
        Assert.Null(RepositoryStatus());
        Assert.Equal(200, (await Send(Success(2, "ffffffff66666666", now), now)).Status);
        Assert.Contains("ffffffff66666666", RepositoryStatus()!.ToJsonString());
    }

    /// <summary>Validly signed events whose contents are not sane: each a 400 naming the field, nothing written.</summary>
    [Theory]
    [InlineData("\"durationSeconds\": 1e300", "durationSeconds")]
    [InlineData("\"durationSeconds\": \"NaN\"", "")]
    [InlineData("\"durationSeconds\": -1", "durationSeconds")]
    [InlineData("\"durationSeconds\": 3, \"databases\": null", "databases")]
    [InlineData("\"durationSeconds\": 3, \"databases\": [null]", "databases")]
    [InlineData("\"durationSeconds\": 3, \"retention\": {\"groups\": null, \"dryRun\": false, \"pruned\": false}", "retention.groups")]
    [InlineData("\"durationSeconds\": 3, \"repository\": {\"snapshotCount\": 1, \"recentSnapshots\": null}", "repository.recentSnapshots")]
    [InlineData("\"durationSeconds\": 3, \"repository\": {\"snapshotCount\": -1, \"recentSnapshots\": []}", "repository.snapshotCount")]
    [InlineData("\"durationSeconds\": 3, \"durationSeconds\": 4", "")]
    public async Task A_signed_event_with_contents_that_are_not_sane_is_a_400_and_writes_nothing(string fields, string named)
    {
        var now = DateTimeOffset.UtcNow;
        var json = $$"""{"type": "succeeded", "verb": "backup", "namespace": "prod", "session": "{{Name}}", "time": "{{now:O}}", "sequence": 1, "databases": [], {{fields}}}""";
        json = json.Replace("\"databases\": [], \"durationSeconds\": 3, \"databases\"", "\"durationSeconds\": 3, \"databases\"", StringComparison.Ordinal);

        var result = await SendRaw(json, now);

        Assert.Equal((400, "malformed"), (result.Status, result.Reason));
        Assert.Contains(named, result.Message);
        Assert.Null(Status()["phase"]);
        Assert.Null(RepositoryStatus());
    }

    [Fact]
    public async Task A_negative_sequence_or_a_missing_time_is_refused_and_writes_nothing()
    {
        var now = DateTimeOffset.UtcNow;
        var negative = $$"""{"type": "started", "verb": "backup", "namespace": "prod", "session": "{{Name}}", "time": "{{now:O}}", "sequence": -1, "databases": ["shop"]}""";
        var timeless = $$"""{"type": "started", "verb": "backup", "namespace": "prod", "session": "{{Name}}", "sequence": 1, "databases": ["shop"]}""";

        Assert.Equal((400, "malformed"), ((await SendRaw(negative, now)).Status, (await SendRaw(negative, now)).Reason));
        Assert.Equal(400, (await SendRaw(timeless, now)).Status);
        Assert.Null(Status()["phase"]);
    }

    [Fact]
    public async Task A_failed_event_with_a_reason_number_is_refused_and_the_type_may_stand_anywhere()
    {
        var now = DateTimeOffset.UtcNow;
        var numbered = $$"""{"type": "failed", "verb": "backup", "namespace": "prod", "session": "{{Name}}", "time": "{{now:O}}", "sequence": 1, "reason": 999, "message": "x"}""";
        Assert.Equal(400, (await SendRaw(numbered, now)).Status);

        var late = $$"""{"verb": "backup", "namespace": "prod", "session": "{{Name}}", "time": "{{now:O}}", "sequence": 2, "databases": ["shop"], "type": "started"}""";
        Assert.Equal(200, (await SendRaw(late, now)).Status);
        Assert.Equal("Running", Status()["phase"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("../BackupSession/outside")]
    [InlineData("prod/BackupSession/../../etc")]
    [InlineData("Prod/BackupSession/x")]
    public async Task A_session_header_that_names_no_session_is_a_400_before_anything_is_read(string header)
    {
        var events = new SessionEvents(new KubernetesGateway(Client), new AppSettings { WebhookMasterKey = MasterKey }, TimeProvider.System);
        var result = await events.HandleAsync(header, "1", "sig", "{}"u8.ToArray(), CancellationToken.None);
        Assert.Equal((400, "malformed"), (result.Status, result.Reason));
    }

    [Fact]
    public async Task A_repository_status_already_stuck_in_the_future_takes_the_next_real_report()
    {
        Server.Mutate(Crd, "repositories", "prod", "repo", r => r["status"] = new JsonObject { ["updated"] = "2099-01-01T00:00:00Z", ["snapshotCount"] = 7 });
        var now = DateTimeOffset.UtcNow;

        Assert.Equal(200, (await Send(Success(1, "abababab77777777", now), now)).Status);

        Assert.Contains("abababab77777777", RepositoryStatus()!.ToJsonString());
        Assert.Equal(1, RepositoryStatus()!["snapshotCount"]!.GetValue<long>());
    }
}
