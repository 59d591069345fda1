using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Serverless.Backup.Core.Resources;
using Serverless.Backup.Functions.Cluster;
using Serverless.Backup.Functions.Jobs;
using Serverless.Backup.Functions.Reconcile;
using Serverless.Backup.Functions.Schedules;
using Serverless.Backup.Functions.Tests.Fakes;
using Serverless.Backup.Functions.Tests.Jobs;

namespace Serverless.Backup.Functions.Tests.Reconcile;

public sealed class ReconcilerTests : IAsyncLifetime
{
    private const string Crd = "apis/" + ResourceGroup.ApiVersion;
    private FakeApiServer server = null!;
    private Kubernetes client = null!;

    public async Task InitializeAsync()
    {
        server = await FakeApiServer.StartAsync();
        client = new Kubernetes(new KubernetesClientConfiguration { Host = server.Url.ToString() });
    }

    public async Task DisposeAsync()
    {
        client.Dispose();
        await server.DisposeAsync();
    }

    private static JsonObject Json(object resource) => JsonNode.Parse(KubernetesJson.Serialize(resource))!.AsObject();

    private Reconciler Reconciler() => new(new KubernetesGateway(client), new JobSettings { Image = "runner:test", WebhookBaseUrl = new Uri("http://127.0.0.1:1") }, new string('m', 32), TimeProvider.System);

    private void SeedAll(bool withBinding = true)
    {
        server.Seed(Crd, BackupConfiguration.Plural, Json(Samples.Configuration()));
        server.Seed(Crd, Repository.Plural, Json(Samples.Repository()));
        if (withBinding)
        {
            server.Seed("apis/" + ResourceGroup.AppBindingApiVersion, AppBinding.Plural, Json(Samples.Binding()));
        }
        server.Seed(Crd, BackupSession.Plural, Json(SchedulePlanner.NewSession(Samples.Configuration(), "shop-202611240100", null, "schedule")));
    }

    private SessionStatus? Status() =>
        KubernetesJson.Deserialize<BackupSession>(server.Get(Crd, BackupSession.Plural, "prod", "shop-202611240100")!.ToJsonString()).Status;

    [Fact]
    public async Task A_pending_session_gets_its_secret_and_job_owned_by_the_session_once()
    {
        SeedAll();
        await Reconciler().RunAsync(CancellationToken.None);
        await Reconciler().RunAsync(CancellationToken.None);

        var job = server.Get("apis/batch/v1", "jobs", "prod", "shop-202611240100-run");
        Assert.NotNull(job);
        var session = server.Get(Crd, BackupSession.Plural, "prod", "shop-202611240100")!;
        Assert.Equal(session["metadata"]!["uid"]!.GetValue<string>(), job["metadata"]!["ownerReferences"]![0]!["uid"]!.GetValue<string>());
        Assert.NotNull(server.Get("api/v1", "secrets", "prod", "shop-202611240100-run"));
        Assert.Equal(1, server.Count("jobs"));
        Assert.Equal("shop-202611240100-run", Status()?.JobName);
        Assert.Equal(SessionPhase.Pending, Status()?.Phase);
    }

    [Fact]
    public async Task A_failed_job_makes_the_session_failed_with_the_job_condition()
    {
        SeedAll();
        await Reconciler().RunAsync(CancellationToken.None);
        server.Mutate("apis/batch/v1", "jobs", "prod", "shop-202611240100-run", job => job["status"] = new JsonObject
        {
            ["failed"] = 1,
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Failed", ["status"] = "True", ["reason"] = "DeadlineExceeded", ["message"] = "Job was active longer than specified deadline" }),
        });
        await Reconciler().RunAsync(CancellationToken.None);
        Assert.Equal((SessionPhase.Failed, "DeadlineExceeded"), (Status()?.Phase, Status()?.Reason));
        Assert.Contains("longer than specified deadline", Status()?.Message);
    }

    [Fact]
    public async Task A_vanished_job_makes_the_session_failed()
    {
        SeedAll();
        await Reconciler().RunAsync(CancellationToken.None);
        server.Remove("apis/batch/v1", "jobs", "prod", "shop-202611240100-run");
        await Reconciler().RunAsync(CancellationToken.None);
        Assert.Equal((SessionPhase.Failed, "JobMissing"), (Status()?.Phase, Status()?.Reason));
    }

    [Fact]
    public async Task An_unknown_app_binding_fails_the_session_naming_the_field()
    {
        SeedAll(withBinding: false);
        await Reconciler().RunAsync(CancellationToken.None);
        Assert.Equal(SessionPhase.Failed, Status()?.Phase);
        Assert.Contains("spec.target.ref.name: AppBinding 'shop-db' does not exist", Status()?.Message);
        Assert.Equal(0, server.Count("jobs"));
    }
}
