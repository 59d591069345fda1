using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Core.Webhook;
using Serverless.Backup.Control.Cluster;
using Serverless.Backup.Control;
using Serverless.Backup.Control.Jobs;
using Serverless.Backup.Control.Settings;
using Serverless.Backup.Functions.Tests.Fakes;

namespace Serverless.Backup.Functions.Tests.Control;

/// <summary>
/// Check schedules, maintenance sessions under the one-job-per-repository rule, and runner reports reaching
/// Repository.status: through the Kubernetes gateway and the real KubernetesClient, against the fake API Server.
/// </summary>
public sealed class RepositoryLifecycleOverApiServerTests : ApiServerTest
{
    private readonly FixedClock clock = new(new DateTimeOffset(2026, 11, 24, 1, 0, 20, TimeSpan.Zero));

    protected override Task SeedAsync()
    {
        Seed<Repository>("repositories", """
            apiVersion: backup.serverless.dev/v1alpha1
            kind: Repository
            metadata: { name: repo, namespace: prod }
            spec:
              backend: { storageSecretName: repo-secret, local: { mountPath: /backups } }
              check: { schedule: "0 1 * * *", readDataSubset: "5%" }
            """);
        SeedAppBinding();
        Seed<BackupConfiguration>("backupconfigurations", """
            apiVersion: backup.serverless.dev/v1alpha1
            kind: BackupConfiguration
            metadata: { name: shop, namespace: prod }
            spec:
              schedule: "0 1 * * *"
              repository: { name: repo }
              target: { ref: { apiVersion: appcatalog.appscode.com/v1alpha1, kind: AppBinding, name: shop-db } }
              retentionPolicy: { keepLast: 2, prune: true }
            """);
        return Task.CompletedTask;
    }

    private static AppSettings Settings => new() { Cluster = ClusterMode.Kubeconfig, WebhookMasterKey = MasterKey, WebhookBaseUrl = "https://app.example.net" };

    private ControlPlane Control() => new(new KubernetesGateway(Client), Settings, new RunnerJobOptions { Image = "runner:test", WebhookBaseUrl = "https://app.example.net" }, clock);

    private MaintenanceScheduler Scheduler() => new(new KubernetesGateway(Client), Settings, clock);

    private JsonNode? Status(string plural, string name) => Server.Get(Crd, plural, "prod", name)?["status"];

    private string? Env(string job, string name) => Server.Get("apis/batch/v1", "jobs", "prod", job)?["spec"]?["template"]?["spec"]?["containers"]?[0]?["env"]?.AsArray()
        .FirstOrDefault(e => e?["name"]?.GetValue<string>() == name)?["value"]?.GetValue<string>();

    private Task<WebhookResult> Send(string kind, string name, RunnerEvent runnerEvent, DateTimeOffset signedAt) =>
        DeliverAsync(kind, name, RunnerJson.Serialize(runnerEvent), signedAt);

    [Fact]
    public async Task Duplicate_maintenance_ticks_make_one_check_session_for_the_slot_with_one_list_call_each()
    {
        Server.Requests.Clear();
        var summary = await Scheduler().MaintenanceTickAsync(CancellationToken.None);
        var lists = Server.Requests.Count(r => r.StartsWith("GET", StringComparison.Ordinal) && r.EndsWith("/repositories", StringComparison.Ordinal));
        await Task.WhenAll(Scheduler().MaintenanceTickAsync(CancellationToken.None), Scheduler().MaintenanceTickAsync(CancellationToken.None));

        Assert.Equal(1, lists);
        Assert.Equal("MaintenanceTick: 1 repositories seen, 1 check sessions created, 0 existed; 1 configurations seen, 0 verify sessions created, 0 existed, 0 invalid, 0 failed", summary);
        Assert.Equal(1, Server.Count("maintenancesessions"));
        var session = Server.Get(Crd, "maintenancesessions", "prod", "repo-check-202611240100")!;
        Assert.Equal(("check", "5%"), (session["spec"]!["task"]!.GetValue<string>(), session["spec"]!["readDataSubset"]!.GetValue<string>()));
        Assert.Equal("2026-11-24T01:00:00Z", Status("repositories", "repo")!["lastCheckScheduleTime"]!.GetValue<DateTime>().ToString("yyyy-MM-ddTHH:mm:ssZ"));
    }

    [Fact]
    public async Task A_check_waits_while_a_backup_of_its_repository_runs_and_then_gets_the_repository_alone()
    {
        await Control().ScheduleTickAsync(CancellationToken.None);
        await Control().ReconcileAsync(CancellationToken.None);
        Assert.Equal(SessionPhase.Running, Status("backupsessions", "shop-202611240100")!["phase"]!.GetValue<string>());
        // Alone on its repository when it started: the runner may remove any lock.
        Assert.Equal("true", Env("shop-202611240100", "REPOSITORY_EXCLUSIVE"));
        Assert.Equal("2", Env("shop-202611240100", "RETENTION_KEEP_LAST"));

        await Scheduler().MaintenanceTickAsync(CancellationToken.None);
        await Control().ReconcileAsync(CancellationToken.None);

        var waiting = Status("maintenancesessions", "repo-check-202611240100")!;
        Assert.Equal(SessionPhase.Pending, waiting["phase"]!.GetValue<string>());
        Assert.Contains("BackupSession shop-202611240100", waiting["message"]!.GetValue<string>());
        Assert.Null(Server.Get("apis/batch/v1", "jobs", "prod", "repo-check-202611240100"));

        Server.Mutate("apis/batch/v1", "jobs", "prod", "shop-202611240100", j => j["status"] = new JsonObject
        {
            ["failed"] = 1,
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Failed", ["status"] = "True", ["reason"] = "BackoffLimitExceeded" }),
        });
        await Control().ReconcileAsync(CancellationToken.None);

        Assert.Equal(SessionPhase.Failed, Status("backupsessions", "shop-202611240100")!["phase"]!.GetValue<string>());
        Assert.Equal(SessionPhase.Running, Status("maintenancesessions", "repo-check-202611240100")!["phase"]!.GetValue<string>());
        Assert.Equal("true", Env("repo-check-202611240100", "REPOSITORY_EXCLUSIVE"));
        Assert.Equal("5%", Env("repo-check-202611240100", "RESTIC_CHECK_READ_DATA_SUBSET"));
    }

    [Fact]
    public async Task A_backup_that_comes_due_while_a_check_runs_is_skipped_as_repository_busy()
    {
        await Scheduler().MaintenanceTickAsync(CancellationToken.None);
        await Control().ReconcileAsync(CancellationToken.None);
        Assert.Equal(SessionPhase.Running, Status("maintenancesessions", "repo-check-202611240100")!["phase"]!.GetValue<string>());

        await Control().ScheduleTickAsync(CancellationToken.None);
        await Control().ReconcileAsync(CancellationToken.None);

        var skipped = Status("backupsessions", "shop-202611240100")!;
        Assert.Equal((SessionPhase.Skipped, "RepositoryBusy"), (skipped["phase"]!.GetValue<string>(), skipped["reason"]!.GetValue<string>()));
        Assert.Contains("MaintenanceSession repo-check-202611240100", skipped["message"]!.GetValue<string>());
        Assert.Null(Server.Get("apis/batch/v1", "jobs", "prod", "shop-202611240100"));
    }

    [Fact]
    public async Task A_maintenance_session_naming_a_repository_that_does_not_exist_fails_naming_the_field()
    {
        Seed<MaintenanceSession>("maintenancesessions", """
            apiVersion: backup.serverless.dev/v1alpha1
            kind: MaintenanceSession
            metadata: { name: ghost-check, namespace: prod }
            spec: { repository: { name: ghost }, task: check }
            """);

        await Control().ReconcileAsync(CancellationToken.None);

        var failed = Status("maintenancesessions", "ghost-check")!;
        Assert.Equal(SessionPhase.Failed, failed["phase"]!.GetValue<string>());
        Assert.Contains("spec.repository.name: Repository prod/ghost does not exist", failed["message"]!.GetValue<string>());
        Assert.Equal(0, Server.Count("jobs"));
    }

    [Fact]
    public async Task A_checks_result_and_a_backups_retention_reach_the_repository_status_and_a_stale_report_changes_nothing()
    {
        await Scheduler().MaintenanceTickAsync(CancellationToken.None);
        await Control().ReconcileAsync(CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        RepositoryReport Report(int count, bool? integrity, params string[] ids) => new()
        {
            SnapshotCount = count, TotalSizeBytes = 3L * 1024 * 1024 * 1024 / 2, Integrity = integrity, IntegrityMessage = integrity == false ? "pack 1234abcd: not referenced in any index" : null,
            RecentSnapshots = ids.Select((id, i) => new SnapshotSummary { Id = id, Time = now.AddMinutes(-i), Database = "shop", Configuration = "shop", Session = "shop-202611240100", Size = 2048 }).ToList(),
        };
        var failed = new FailedEvent
        {
            Verb = "check", Namespace = "prod", Session = "repo-check-202611240100", Time = now, Reason = FailureReason.IntegrityCheckFailed,
            Message = "restic check found errors", Repository = Report(4, false, "aaaa1111", "bbbb2222"),
        };
        Assert.Equal(200, (await Send("MaintenanceSession", "repo-check-202611240100", failed, now)).Status);

        var repository = Status("repositories", "repo")!;
        Assert.False(repository["integrity"]!.GetValue<bool>());
        Assert.Contains("not referenced", repository["integrityMessage"]!.GetValue<string>());
        Assert.NotNull(repository["lastCheckTime"]);
        Assert.Equal(("1.5 GiB", 4), (repository["totalSize"]!.GetValue<string>(), repository["snapshotCount"]!.GetValue<int>()));
        Assert.Equal(SessionPhase.Failed, Status("maintenancesessions", "repo-check-202611240100")!["phase"]!.GetValue<string>());

        // A backup whose report was written before the check's arrives late: the repository keeps the newer check.
        await Control().ScheduleTickAsync(CancellationToken.None);
        await Control().ReconcileAsync(CancellationToken.None);
        var late = new SucceededEvent
        {
            Verb = "backup", Namespace = "prod", Session = "shop-202611240100", Time = now.AddSeconds(-30), DurationSeconds = 4,
            Databases = [new DatabaseResult { Database = "shop", SnapshotId = "cccc3333", Bytes = 2048, Sha256 = new string('c', 64), DurationSeconds = 2 }],
            Retention = new RetentionResult { DryRun = false, Pruned = true, Groups = [new RetentionGroupResult { Database = "shop", Kept = 2, Removed = 3 }] },
            Repository = Report(9, null, "cccc3333"),
        };
        Assert.Equal(200, (await Send("BackupSession", "shop-202611240100", late, now)).Status);
        var session = Status("backupsessions", "shop-202611240100")!;
        Assert.Equal((SessionPhase.Succeeded, 2, 3), (session["phase"]!.GetValue<string>(), session["retention"]!["kept"]!.GetValue<int>(), session["retention"]!["removed"]!.GetValue<int>()));
        Assert.Equal(4, Status("repositories", "repo")!["snapshotCount"]!.GetValue<int>());
        Assert.Null(Status("repositories", "repo")!["lastBackupTime"]);

        // The next backup's report is newer: count, removals, last backup and the recent snapshots move on.
        var next = late with { Time = now.AddSeconds(5) };
        var fresh = Server.Get(Crd, "backupsessions", "prod", "shop-202611240100")!;
        fresh["status"]!["phase"] = SessionPhase.Running;
        fresh["status"]!["lastEventTimestamp"] = 0;
        Server.Mutate(Crd, "backupsessions", "prod", "shop-202611240100", s => s["status"] = fresh["status"]!.DeepClone());
        Assert.Equal(200, (await Send("BackupSession", "shop-202611240100", next, now.AddSeconds(1))).Status);

        repository = Status("repositories", "repo")!;
        Assert.Equal((9, 3), (repository["snapshotCount"]!.GetValue<int>(), repository["snapshotsRemovedOnLastCleanup"]!.GetValue<int>()));
        Assert.NotNull(repository["lastBackupTime"]);
        Assert.Equal("cccc3333", repository["recentSnapshots"]![0]!["id"]!.GetValue<string>());
        Assert.False(repository["integrity"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_retention_policy_that_keeps_nothing_stops_the_configuration_and_fails_its_pending_session_instead_of_deleting_everything()
    {
        // A session was created while the policy was sane; then someone set every keep field to zero.
        await Control().ScheduleTickAsync(CancellationToken.None);
        Server.Mutate(Crd, "backupconfigurations", "prod", "shop", c =>
        {
            c["spec"]!["retentionPolicy"] = new JsonObject { ["keepLast"] = 0, ["keepDaily"] = -1, ["prune"] = true };
            c["status"] = null;
        });

        await Control().ReconcileAsync(CancellationToken.None);
        var summary = await Control().ScheduleTickAsync(CancellationToken.None);

        var failed = Status("backupsessions", "shop-202611240100")!;
        Assert.Equal((SessionPhase.Failed, "InvalidConfiguration"), (failed["phase"]!.GetValue<string>(), failed["reason"]!.GetValue<string>()));
        Assert.Contains("spec.retentionPolicy keeps nothing", failed["message"]!.GetValue<string>());
        Assert.Equal(0, Server.Count("jobs"));
        Assert.Contains("1 invalid, 0 failed", summary);
        Assert.Contains("spec.retentionPolicy keeps nothing", Status("backupconfigurations", "shop")!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Only_the_newest_finished_maintenance_sessions_of_a_repository_are_kept()
    {
        for (var i = 1; i <= 5; i++)
        {
            Seed<MaintenanceSession>("maintenancesessions", $$"""
                apiVersion: backup.serverless.dev/v1alpha1
                kind: MaintenanceSession
                metadata: { name: repo-check-{{i}}, namespace: prod, labels: { backup.serverless.dev/repository: repo } }
                spec: { repository: { name: repo }, task: check }
                status: { phase: {{(i == 5 ? "Pending" : "Succeeded")}} }
                """);
        }

        var summary = await Control().ReconcileAsync(CancellationToken.None);

        Assert.Contains("1 old maintenance sessions deleted", summary);
        Assert.Null(Server.Get(Crd, "maintenancesessions", "prod", "repo-check-1"));
        Assert.All(new[] { 2, 3, 4, 5 }, i => Assert.NotNull(Server.Get(Crd, "maintenancesessions", "prod", $"repo-check-{i}")));
    }

    private void SeedRestore(string name) => Seed<RestoreSession>("restoresessions", $$"""
        apiVersion: backup.serverless.dev/v1alpha1
        kind: RestoreSession
        metadata: { name: {{name}}, namespace: prod, labels: { backup.serverless.dev/repository: repo } }
        spec:
          repository: { name: repo }
          target: { ref: { apiVersion: appcatalog.appscode.com/v1alpha1, kind: AppBinding, name: shop-db } }
        """);

    [Fact]
    public async Task A_restore_runs_beside_a_backup_without_the_repository_to_itself_but_waits_for_a_check()
    {
        await Control().ScheduleTickAsync(CancellationToken.None);
        await Control().ReconcileAsync(CancellationToken.None);
        SeedRestore("beside-backup");
        await Control().ReconcileAsync(CancellationToken.None);

        Assert.Equal(SessionPhase.Running, Status("restoresessions", "beside-backup")!["phase"]!.GetValue<string>());
        Assert.Equal("false", Env("beside-backup", "REPOSITORY_EXCLUSIVE"));

        Server.Remove(Crd, "backupsessions", "prod", "shop-202611240100");
        Server.Mutate("apis/batch/v1", "jobs", "prod", "beside-backup", j => j["status"] = new JsonObject { ["succeeded"] = 1 });
        await Control().ReconcileAsync(CancellationToken.None);
        await Scheduler().MaintenanceTickAsync(CancellationToken.None);
        await Control().ReconcileAsync(CancellationToken.None);
        Assert.Equal(SessionPhase.Running, Status("maintenancesessions", "repo-check-202611240100")!["phase"]!.GetValue<string>());
        SeedRestore("after-check");
        await Control().ReconcileAsync(CancellationToken.None);

        var waiting = Status("restoresessions", "after-check")!;
        Assert.Equal((SessionPhase.Pending, "RepositoryBusy"), (waiting["phase"]!.GetValue<string>(), waiting["reason"]!.GetValue<string>()));
        Assert.Contains("MaintenanceSession repo-check-202611240100", waiting["message"]!.GetValue<string>());
        Assert.Null(Server.Get("apis/batch/v1", "jobs", "prod", "after-check"));
    }

    private void SeedBackup(string name) => Seed<BackupSession>("backupsessions", $$"""
        apiVersion: backup.serverless.dev/v1alpha1
        kind: BackupSession
        metadata: { name: {{name}}, namespace: prod, labels: { backup.serverless.dev/configuration: shop, backup.serverless.dev/repository: repo } }
        spec: { invoker: { name: shop } }
        """);

    [Fact]
    public async Task A_check_that_waited_past_the_grace_goes_first_so_overlapping_backups_cannot_starve_it()
    {
        await Control().ScheduleTickAsync(CancellationToken.None);
        await Control().ReconcileAsync(CancellationToken.None);
        await Scheduler().MaintenanceTickAsync(CancellationToken.None);
        await Control().ReconcileAsync(CancellationToken.None);
        Assert.Equal(SessionPhase.Pending, Status("maintenancesessions", "repo-check-202611240100")!["phase"]!.GetValue<string>());

        // Within the grace, a restore still starts beside the running backup.
        SeedRestore("early-restore");
        await Control().ReconcileAsync(CancellationToken.None);
        Assert.Equal(SessionPhase.Running, Status("restoresessions", "early-restore")!["phase"]!.GetValue<string>());

        // Past it, the check holds its place: a later backup is skipped and a later restore waits, naming it.
        Server.Mutate(Crd, "maintenancesessions", "prod", "repo-check-202611240100", m =>
            m["metadata"]!["creationTimestamp"] = (clock.GetUtcNow() - ControlPlane.MaintenanceQueueGrace - TimeSpan.FromMinutes(1)).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
        SeedBackup("late-manual");
        SeedRestore("late-restore");
        await Control().ReconcileAsync(CancellationToken.None);

        var skipped = Status("backupsessions", "late-manual")!;
        Assert.Equal((SessionPhase.Skipped, "RepositoryBusy"), (skipped["phase"]!.GetValue<string>(), skipped["reason"]!.GetValue<string>()));
        Assert.Contains("MaintenanceSession repo-check-202611240100", skipped["message"]!.GetValue<string>());
        Assert.Contains("has waited more than 30 minutes", skipped["message"]!.GetValue<string>());
        var waiting = Status("restoresessions", "late-restore")!;
        Assert.Equal((SessionPhase.Pending, "RepositoryBusy"), (waiting["phase"]!.GetValue<string>(), waiting["reason"]!.GetValue<string>()));
        Assert.Contains("MaintenanceSession repo-check-202611240100", waiting["message"]!.GetValue<string>());
        Assert.Null(Server.Get("apis/batch/v1", "jobs", "prod", "late-manual"));
        Assert.Null(Server.Get("apis/batch/v1", "jobs", "prod", "late-restore"));

        // When the running backups end, the check gets the repository alone, and the restore waits for it to end.
        foreach (var job in new[] { "shop-202611240100", "early-restore" })
        {
            Server.Mutate("apis/batch/v1", "jobs", "prod", job, j => j["status"] = new JsonObject { ["succeeded"] = 1 });
        }
        await Control().ReconcileAsync(CancellationToken.None);

        Assert.Equal(SessionPhase.Running, Status("maintenancesessions", "repo-check-202611240100")!["phase"]!.GetValue<string>());
        Assert.Equal(SessionPhase.Pending, Status("restoresessions", "late-restore")!["phase"]!.GetValue<string>());
        Assert.Contains("is Running", Status("restoresessions", "late-restore")!["message"]!.GetValue<string>());
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
