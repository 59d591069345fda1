using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.AspNetCore.Builder;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Core.Resources;
using Serverless.Backup.Core.Webhook;
using Serverless.Backup.Functions.Api;
using Serverless.Backup.Functions.Cluster;
using Serverless.Backup.Functions.Hosting;
using Serverless.Backup.Functions.Schedules;
using Serverless.Backup.Functions.Settings;
using Serverless.Backup.Functions.Tests.Fakes;
using Serverless.Backup.Functions.Webhook;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests.Webhook;

public sealed class SessionEventsEndpointTests : IAsyncLifetime
{
    private const string MasterKey = "0123456789abcdef0123456789abcdef";
    private const string Crd = "apis/" + ResourceGroup.ApiVersion;
    private FakeApiServer server = null!;
    private Kubernetes client = null!;
    private WebApplication app = null!;
    private readonly HttpClient http = new();
    private string uid = "";

    public async Task InitializeAsync()
    {
        server = await FakeApiServer.StartAsync();
        client = new Kubernetes(new KubernetesClientConfiguration { Host = server.Url.ToString() });
        var gateway = new KubernetesGateway(client);
        var port = TestEnvironment.FreePort();
        app = FunctionsApp.Build(new FunctionsOptions { CustomHandlerPort = port, WebhookMasterKey = MasterKey }, new Dictionary<string, TimerHandler>(),
            a => SessionEventsEndpoint.Map(a, gateway, MasterKey, TimeProvider.System));
        await app.StartAsync();
        http.BaseAddress = new Uri($"http://127.0.0.1:{port}");
        foreach (var name in new[] { "shop-1", "shop-2" })
        {
            var session = SchedulePlanner.NewSession(new BackupConfiguration { Metadata = new k8s.Models.V1ObjectMeta { Name = "shop", NamespaceProperty = "prod" } }, name, null, "schedule");
            var stored = server.Seed(Crd, BackupSession.Plural, JsonNode.Parse(KubernetesJson.Serialize(session))!.AsObject());
            if (name == "shop-1")
            {
                uid = stored["metadata"]!["uid"]!.GetValue<string>();
            }
        }
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await app.DisposeAsync();
        client.Dispose();
        await server.DisposeAsync();
    }

    private string Token(string name = "shop-1", string? sessionUid = null) =>
        WebhookSigner.SessionToken(MasterKey, "prod", BackupSession.KindName, name, sessionUid ?? uid);

    private static RunnerEvent Started(string session = "shop-1") => new StartedEvent { Verb = "backup", Namespace = "prod", Session = session, Time = DateTimeOffset.UtcNow, Databases = ["shop"] };

    private static RunnerEvent Succeeded() => new SucceededEvent
    {
        Verb = "backup", Namespace = "prod", Session = "shop-1", Time = DateTimeOffset.UtcNow, DurationSeconds = 3,
        Databases = [new DatabaseResult { Database = "shop", SnapshotId = "89abcdef01234567", Bytes = 2048, Sha256 = new string('b', 64), DataAdded = 512, DurationSeconds = 2.5 }],
    };

    private async Task<HttpResponseMessage> Post(string body, string? token, DateTimeOffset? signedAt = null, string session = "shop-1", string? signature = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Routes.EventsPath("prod", "backup", session)) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (token is not null)
        {
            var timestamp = WebhookSigner.Timestamp(signedAt ?? DateTimeOffset.UtcNow);
            request.Headers.Add(WebhookHeaders.Timestamp, timestamp);
            request.Headers.Add(WebhookHeaders.Signature, signature ?? WebhookSigner.Sign(token, timestamp, Encoding.UTF8.GetBytes(body)));
        }
        return await http.SendAsync(request);
    }

    private string? Phase(string name = "shop-1") => server.Get(Crd, BackupSession.Plural, "prod", name)!["status"]?["phase"]?.GetValue<string>();

    [Fact]
    public async Task Signed_events_move_the_session_to_succeeded_with_snapshot_stats()
    {
        Assert.Equal(HttpStatusCode.Accepted, (await Post(RunnerJson.Serialize(Started()), Token())).StatusCode);
        Assert.Equal(SessionPhase.Running, Phase());
        await Task.Delay(5);
        Assert.Equal(HttpStatusCode.Accepted, (await Post(RunnerJson.Serialize(Succeeded()), Token())).StatusCode);
        var status = server.Get(Crd, BackupSession.Plural, "prod", "shop-1")!["status"]!;
        Assert.Equal(SessionPhase.Succeeded, status["phase"]!.GetValue<string>());
        Assert.Equal("89abcdef01234567", status["snapshots"]![0]!["snapshotId"]!.GetValue<string>());
        Assert.Equal(2048, status["snapshots"]![0]!["bytes"]!.GetValue<long>());
    }

    [Fact]
    public async Task Unsigned_forged_expired_and_cross_session_events_get_401_and_change_nothing()
    {
        var body = RunnerJson.Serialize(Started());
        Assert.Equal(HttpStatusCode.Unauthorized, (await Post(body, null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Post(body, Token(), signature: "sha256=" + new string('0', 64))).StatusCode);
        var expired = await Post(body, Token(), DateTimeOffset.UtcNow.AddMinutes(-6));
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Contains("5 minutes", await expired.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await Post(RunnerJson.Serialize(Started("shop-2")), Token(), session: "shop-2")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Post(body, Token(sessionUid: "uid-of-a-deleted-namesake"))).StatusCode);
        Assert.Null(Phase());
        Assert.Null(Phase("shop-2"));
    }

    [Fact]
    public async Task A_replayed_event_cannot_undo_a_result()
    {
        var started = RunnerJson.Serialize(Started());
        var at = DateTimeOffset.UtcNow;
        await Post(started, Token(), at);
        await Post(RunnerJson.Serialize(Succeeded()), Token(), at.AddMilliseconds(10));
        var replay = await Post(started, Token(), at);
        Assert.Equal(HttpStatusCode.Conflict, replay.StatusCode);
        Assert.Equal(SessionPhase.Succeeded, Phase());
    }

    [Fact]
    public async Task An_unknown_session_gets_404_and_malformed_json_gets_400()
    {
        var unknown = await Post("{}", "any", session: "nobody");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("prod/nobody", await unknown.Content.ReadAsStringAsync());
        var malformed = await Post("{not json", Token());
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("not a runner event", await malformed.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, (await Post("{}", Token(), session: "Bad_Name")).StatusCode);
    }
}
