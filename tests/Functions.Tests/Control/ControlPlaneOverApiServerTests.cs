using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Cluster;
using Serverless.Backup.Control;
using Serverless.Backup.Control.Jobs;
using Serverless.Backup.Control.Settings;
using Serverless.Backup.Functions.Tests.Fakes;

namespace Serverless.Backup.Functions.Tests.Control;

/// <summary>ScheduleTick and Reconcile through the Kubernetes gateway and the real KubernetesClient, against the fake API Server.</summary>
public sealed class ControlPlaneOverApiServerTests : ApiServerTest
{
    private readonly FixedClock clock = new(new DateTimeOffset(2026, 11, 24, 1, 0, 20, TimeSpan.Zero));

    protected override Task SeedAsync()
    {
        Seed<Repository>("repositories", """
            apiVersion: backup.serverless.dev/v1alpha1
            kind: Repository
            metadata: { name: repo, namespace: prod }
            spec:
              backend:
                storageSecretName: repo-secret
                local: { mountPath: /backups }
            """);
        SeedAppBinding();
        return Task.CompletedTask;
    }

    private void SeedConfiguration(string name, string schedule = "0 1 * * *") => Seed<BackupConfiguration>("backupconfigurations", $$"""
        apiVersion: backup.serverless.dev/v1alpha1
        kind: BackupConfiguration
        metadata: { name: {{name}}, namespace: prod }
        spec:
          schedule: "{{schedule}}"
          repository: { name: repo }
          target:
            ref: { apiVersion: appcatalog.appscode.com/v1alpha1, kind: AppBinding, name: shop-db }
          backupHistoryLimit: 1
        """);

    private ControlPlane Control() => new(
        new KubernetesGateway(Client),
        new AppSettings { Cluster = ClusterMode.Kubeconfig, WebhookMasterKey = "test-master-key-0123456789abcdefghijklmnop", WebhookBaseUrl = "https://app.example.net" },
        new RunnerJobOptions { Image = "runner:test", WebhookBaseUrl = "https://app.example.net" },
        clock);

    private string? Phase(string name) => Server.Get(Crd, "backupsessions", "prod", name)?["status"]?["phase"]?.GetValue<string>();

    [Fact]
    public async Task Duplicate_ticks_make_one_session_with_two_list_calls_each()
    {
        SeedConfiguration("shop");
        Server.Requests.Clear();
        await Control().ScheduleTickAsync(CancellationToken.None);
        var lists = Server.Requests.Count(r => r.StartsWith("GET", StringComparison.Ordinal) && (r.EndsWith("/backupconfigurations", StringComparison.Ordinal) || r.EndsWith("/backupsessions", StringComparison.Ordinal)));
        await Task.WhenAll(Control().ScheduleTickAsync(CancellationToken.None), Control().ScheduleTickAsync(CancellationToken.None));

        Assert.True(lists <= 2, $"{lists} list calls");
        Assert.Equal(1, Server.Count("backupsessions"));
        Assert.NotNull(Server.Get(Crd, "backupsessions", "prod", "shop-202611240100"));
    }

    [Fact]
    public async Task A_busy_repository_makes_the_second_session_skipped_with_the_reason()
    {
        SeedConfiguration("first");
        SeedConfiguration("second");
        await Control().ScheduleTickAsync(CancellationToken.None);
        var phases = new[] { Phase("first-202611240100"), Phase("second-202611240100") };
        Assert.Contains(SessionPhase.Skipped, phases);
        var skipped = Phase("first-202611240100") == SessionPhase.Skipped ? "first-202611240100" : "second-202611240100";
        Assert.Contains("repo", Server.Get(Crd, "backupsessions", "prod", skipped)!["status"]!.ToJsonString());
    }

    [Fact]
    public async Task Reconcile_starts_the_job_and_a_failed_job_makes_the_session_failed_with_the_reason()
    {
        SeedConfiguration("shop");
        await Control().ScheduleTickAsync(CancellationToken.None);
        await Control().ReconcileAsync(CancellationToken.None);

        var jobName = Server.Get(Crd, "backupsessions", "prod", "shop-202611240100")!["status"]!["jobName"]!.GetValue<string>();
        var job = Server.Get("apis/batch/v1", "jobs", "prod", jobName)!;
        Assert.Equal("BackupSession", job["metadata"]!["ownerReferences"]![0]!["kind"]!.GetValue<string>());
        Assert.Equal(1, Server.Count("secrets"));

        Server.Mutate("apis/batch/v1", "jobs", "prod", jobName, j => j["status"] = new JsonObject
        {
            ["failed"] = 1,
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Failed", ["status"] = "True", ["reason"] = "BackoffLimitExceeded", ["message"] = "Job has reached the specified backoff limit" }),
        });
        await Control().ReconcileAsync(CancellationToken.None);
        Assert.Equal(SessionPhase.Failed, Phase("shop-202611240100"));
        Assert.Contains("BackoffLimitExceeded", Server.Get(Crd, "backupsessions", "prod", "shop-202611240100")!["status"]!.ToJsonString());
    }

    [Fact]
    public async Task A_vanished_job_makes_the_session_failed()
    {
        SeedConfiguration("shop");
        await Control().ScheduleTickAsync(CancellationToken.None);
        await Control().ReconcileAsync(CancellationToken.None);
        var jobName = Server.Get(Crd, "backupsessions", "prod", "shop-202611240100")!["status"]!["jobName"]!.GetValue<string>();
        Server.Remove("apis/batch/v1", "jobs", "prod", jobName);
        await Control().ReconcileAsync(CancellationToken.None);
        Assert.Equal(SessionPhase.Failed, Phase("shop-202611240100"));
    }

    [Fact]
    public async Task A_job_whose_pod_cannot_start_for_a_missing_secret_fails_the_session_with_the_kubelets_words()
    {
        var jobName = await StartedJobAsync();

        // The kubelet's view of the Job's pod: the storage secret does not exist, so the container never starts
        // and the Job itself never fails.
        SeedPod(jobName, """{ "reason": "CreateContainerConfigError", "message": "secret \"repo-secret\" not found" }""");
        await Control().ReconcileAsync(CancellationToken.None);

        var status = Server.Get(Crd, "backupsessions", "prod", "shop-202611240100")!["status"]!;
        Assert.Equal(SessionPhase.Failed, status["phase"]!.GetValue<string>());
        Assert.Equal("CreateContainerConfigError", status["reason"]!.GetValue<string>());
        Assert.Contains("secret \"repo-secret\" not found", status["message"]!.GetValue<string>());
        Assert.Contains("spec.backend.storageSecretName", status["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_pod_that_is_still_being_created_keeps_the_session_running()
    {
        var jobName = await StartedJobAsync();
        SeedPod(jobName, """{ "reason": "ContainerCreating" }""");
        await Control().ReconcileAsync(CancellationToken.None);

        Assert.Equal(SessionPhase.Running, Phase("shop-202611240100"));
    }

    private async Task<string> StartedJobAsync()
    {
        SeedConfiguration("shop");
        await Control().ScheduleTickAsync(CancellationToken.None);
        await Control().ReconcileAsync(CancellationToken.None);
        return Server.Get(Crd, "backupsessions", "prod", "shop-202611240100")!["status"]!["jobName"]!.GetValue<string>();
    }

    private void SeedPod(string jobName, string waiting) => Server.Seed("api/v1", "pods", JsonNode.Parse($$"""
        {
          "apiVersion": "v1", "kind": "Pod",
          "metadata": { "name": "{{jobName}}-x7k2p", "namespace": "prod", "labels": { "job-name": "{{jobName}}" } },
          "status": { "phase": "Pending", "containerStatuses": [ { "name": "runner", "ready": false, "restartCount": 0, "image": "runner:test", "imageID": "",
            "state": { "waiting": {{waiting}} } } ] }
        }
        """)!.AsObject());

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
