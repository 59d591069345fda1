using System.Text;
using k8s;
using k8s.Models;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Core.Webhook;
using Serverless.Backup.Control.Cluster;
using Serverless.Backup.Control;
using Serverless.Backup.Control.Settings;
using Serverless.Backup.Functions.Tests.Fakes;

namespace Serverless.Backup.Functions.Tests.Control;

/// <summary>The signed webhook writing session status through the Kubernetes gateway and the real KubernetesClient.</summary>
public sealed class SessionEventsOverApiServerTests : ApiServerTest
{
    private BackupSession session = null!;

    protected override async Task SeedAsync()
    {
        session = new BackupSession { Metadata = new V1ObjectMeta { Name = "shop-202611240100", NamespaceProperty = "prod" } };
        Assert.True(await new KubernetesGateway(Client).TryCreateAsync(session, CancellationToken.None));
    }

    private Task<WebhookResult> Send(RunnerEvent runnerEvent, DateTimeOffset signedAt, string? token = null) =>
        DeliverAsync("BackupSession", "shop-202611240100", RunnerJson.Serialize(runnerEvent), signedAt, token);

    private string? Phase() => Server.Get("apis/" + Api.ApiVersion, "backupsessions", "prod", "shop-202611240100")?["status"]?["phase"]?.GetValue<string>();

    [Fact]
    public async Task A_signed_success_is_written_to_the_session_status_and_a_replay_cannot_undo_it()
    {
        var now = DateTimeOffset.UtcNow;
        var started = new StartedEvent { Verb = "backup", Namespace = "prod", Session = "shop-202611240100", Time = now, Databases = ["shop"] };
        Assert.InRange((await Send(started, now.AddSeconds(-2))).Status, 200, 299);
        var succeeded = new SucceededEvent
        {
            Verb = "backup", Namespace = "prod", Session = "shop-202611240100", Time = now, DurationSeconds = 3,
            Databases = [new DatabaseResult { Database = "shop", SnapshotId = "89abcdef01234567", Bytes = 2048, Sha256 = new string('b', 64), DataAdded = 512, DurationSeconds = 2.5 }],
        };
        Assert.InRange((await Send(succeeded, now.AddSeconds(-1))).Status, 200, 299);
        Assert.Equal(SessionPhase.Succeeded, Phase());
        Assert.Contains("89abcdef01234567", Server.Get("apis/" + Api.ApiVersion, "backupsessions", "prod", "shop-202611240100")!["status"]!.ToJsonString());

        Assert.NotInRange((await Send(started, now.AddSeconds(-2))).Status, 200, 299);
        Assert.Equal(SessionPhase.Succeeded, Phase());
    }

    [Fact]
    public async Task An_event_signed_with_another_sessions_token_is_401_and_changes_nothing()
    {
        var now = DateTimeOffset.UtcNow;
        var started = new StartedEvent { Verb = "backup", Namespace = "prod", Session = "shop-202611240100", Time = now, Databases = ["shop"] };
        var other = WebhookSignature.DeriveToken(MasterKey, new SessionIdentity("prod", "BackupSession", "shop-202611240200", "another-uid"));
        Assert.Equal(401, (await Send(started, now, other)).Status);
        Assert.Null(Phase());
    }
}
