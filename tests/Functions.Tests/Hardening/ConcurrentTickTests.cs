using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Serverless.Backup.Core.Metrics;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Cluster;
using Serverless.Backup.Control;
using Serverless.Backup.Control.Jobs;
using Serverless.Backup.Control.Observability;
using Serverless.Backup.Control.Settings;
using Serverless.Backup.Functions.Tests.Fakes;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests.Hardening;

/// <summary>
/// Ticks that collide (two app instances, a duplicate firing) through the real KubernetesClient and the fake API
/// server: one session per slot, one backup per repository even when configurations share it, no tick failing on
/// a conflict, and resources the model cannot read reported apart instead of failing the list.
/// </summary>
public sealed class ConcurrentTickTests : ApiServerTest
{
    private readonly TimeProvider clock = new FixedClock(new DateTimeOffset(2026, 11, 24, 1, 0, 20, TimeSpan.Zero));

    protected override Task SeedAsync()
    {
        Seed<Repository>("repositories", """
            apiVersion: backup.serverless.dev/v1alpha1
            kind: Repository
            metadata: { name: shared, namespace: prod }
            spec: { backend: { storageSecretName: s, local: { mountPath: /backups } } }
            """);
        SeedAppBinding();
        foreach (var name in new[] { "alpha", "bravo", "charlie" })
        {
            Seed<BackupConfiguration>("backupconfigurations", $$"""
                apiVersion: backup.serverless.dev/v1alpha1
                kind: BackupConfiguration
                metadata: { name: {{name}}, namespace: prod }
                spec:
                  schedule: "0 1 * * *"
                  repository: { name: shared }
                  target: { ref: { apiVersion: appcatalog.appscode.com/v1alpha1, kind: AppBinding, name: shop-db } }
                  backupHistoryLimit: 5
                """);
        }
        return Task.CompletedTask;
    }

    /// <summary>A control plane as one app instance has it: its own client, its own metrics.</summary>
    private ControlPlane Instance(StringWriter? log = null) => new(
        new KubernetesGateway(new k8s.Kubernetes(new k8s.KubernetesClientConfiguration { Host = Server.Url.ToString() })),
        new AppSettings { Cluster = ClusterMode.Kubeconfig, WebhookMasterKey = "test-master-key-0123456789abcdefghijklmnop", WebhookBaseUrl = "https://app.example.net" },
        new RunnerJobOptions { Image = "runner:test", WebhookBaseUrl = "https://app.example.net" },
        clock, new ControlPlaneMetrics(), log is null ? null : JsonLogCapture.To(log).CreateLogger<ControlPlane>());

    private string? Phase(string name) => Server.Get(Crd, "backupsessions", "prod", name)?["status"]?["phase"]?.GetValue<string>();

    [Fact]
    public async Task Sixty_concurrent_ticks_make_one_session_per_configuration_and_let_only_one_backup_of_the_shared_repository_run()
    {
        var log = new StringWriter();
        var summaries = await Task.WhenAll(Enumerable.Range(0, 60).Select(_ => Task.Run(() => Instance(log).ScheduleTickAsync(CancellationToken.None))));

        Assert.All(summaries, s => Assert.EndsWith("0 invalid, 0 failed", s));
        Assert.DoesNotContain("\"LogLevel\":\"Error\"", log.ToString());
        Assert.Equal(3, Server.Count("backupsessions"));
        // The first configuration by name runs; the others of the same repository and slot are Skipped naming it.
        Assert.Equal(SessionPhase.Pending, Phase("alpha-202611240100"));
        Assert.Equal(SessionPhase.Skipped, Phase("bravo-202611240100"));
        Assert.Equal(SessionPhase.Skipped, Phase("charlie-202611240100"));
        Assert.Contains("alpha-202611240100", Server.Get(Crd, "backupsessions", "prod", "charlie-202611240100")!["status"]!["message"]!.GetValue<string>());
        foreach (var name in new[] { "alpha", "bravo", "charlie" })
        {
            Assert.Equal("2026-11-24T01:00:00Z", DateTimeOffset.Parse(Server.Get(Crd, "backupconfigurations", "prod", name)!["status"]!["lastScheduleTime"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
        }

        var reconciles = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => Instance().ReconcileAsync(CancellationToken.None))));
        Assert.All(reconciles, s => Assert.EndsWith("0 invalid, 0 failed", s));
        Assert.Equal(1, Server.Count("jobs"));
        Assert.Equal(SessionPhase.Running, Phase("alpha-202611240100"));
    }

    [Fact]
    public async Task Two_pending_backups_of_one_repository_never_run_at_once_whatever_created_them()
    {
        foreach (var name in new[] { "by-hand-1", "by-hand-2" })
        {
            Seed<BackupSession>("backupsessions", $$"""
                apiVersion: backup.serverless.dev/v1alpha1
                kind: BackupSession
                metadata: { name: {{name}}, namespace: prod, labels: { backup.serverless.dev/configuration: alpha, backup.serverless.dev/repository: shared } }
                spec: { invoker: { name: alpha } }
                """);
        }

        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() => Instance().ReconcileAsync(CancellationToken.None))));

        Assert.Equal(1, Server.Count("jobs"));
        Assert.Equal(SessionPhase.Running, Phase("by-hand-1"));
        Assert.Equal(SessionPhase.Skipped, Phase("by-hand-2"));
    }

    [Fact]
    public async Task A_resource_the_model_cannot_read_is_reported_and_the_others_are_scheduled()
    {
        Server.Seed(Crd, "backupconfigurations", JsonNode.Parse("""
            { "apiVersion": "backup.serverless.dev/v1alpha1", "kind": "BackupConfiguration",
              "metadata": { "name": "wrong-type", "namespace": "prod" }, "spec": { "schedule": "0 1 * * *", "backupHistoryLimit": "lots" } }
            """)!.AsObject());
        Server.Seed(Crd, "backupconfigurations", JsonNode.Parse("""
            { "apiVersion": "backup.serverless.dev/v1alpha1", "kind": "BackupConfiguration",
              "metadata": { "name": "spec-list", "namespace": "prod" }, "spec": [1, 2] }
            """)!.AsObject());
        Server.Seed(Crd, "backupconfigurations", JsonNode.Parse("""
            { "apiVersion": "backup.serverless.dev/v1alpha1", "kind": "BackupConfiguration",
              "metadata": { "name": "null-repository", "namespace": "prod" }, "spec": { "schedule": "0 1 * * *", "repository": null } }
            """)!.AsObject());
        var log = new StringWriter();

        var summary = await Instance(log).ScheduleTickAsync(CancellationToken.None);

        Assert.Equal("ScheduleTick: 6 configurations seen, 1 sessions created, 2 skipped, 0 archive sessions created, 3 invalid, 0 failed", summary);
        Assert.Equal(3, Server.Count("backupsessions"));
        Assert.Contains("BackupConfiguration prod/wrong-type is invalid", log.ToString());
        Assert.Contains("BackupConfiguration prod/spec-list is invalid", log.ToString());
        var gateway = new KubernetesGateway(Client);
        var listing = await gateway.ListAsync<BackupConfiguration>(null, null, CancellationToken.None);
        Assert.Equal(["alpha", "bravo", "charlie"], listing.Select(c => c.Name).Order());
        Assert.Equal(["null-repository", "spec-list", "wrong-type"], listing.Unreadable.Select(u => u.Name).Order());
        var named = await Assert.ThrowsAsync<InvalidResourceException>(() => gateway.GetAsync<BackupConfiguration>("prod", "null-repository", CancellationToken.None));
        Assert.Contains("spec.repository is null", named.Message);

        var metrics = new ControlPlaneMetrics();
        var settings = new AppSettings { WebhookMasterKey = "k" };
        var api = new RepositoryApi(gateway, new MaintenanceScheduler(gateway, settings, clock, metrics), metrics, settings, clock);
        using var text = new MemoryStream();
        await api.WriteMetricsAsync(text, CancellationToken.None);
        var samples = PrometheusText.Parse(System.Text.Encoding.UTF8.GetString(text.ToArray()));
        Assert.Equal(3, samples.Find(MetricNames.InvalidResources, ("kind", "BackupConfiguration")).Count);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
