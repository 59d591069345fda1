using System.Text;
using System.Text.Json.Nodes;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Cluster;
using Serverless.Backup.Control;
using Serverless.Backup.Control.Jobs;
using Serverless.Backup.Control.Observability;
using Serverless.Backup.Control.Settings;
using Serverless.Backup.Functions.Tests.Fakes;

namespace Serverless.Backup.Functions.Tests.Control;

/// <summary>
/// Verification schedules, verify sessions beside backups, and signed verify reports reaching
/// BackupConfiguration.status.lastVerification and the metrics: through the real KubernetesClient, against the
/// fake API server.
/// </summary>
public sealed class VerificationOverApiServerTests : ApiServerTest
{
    /// <summary>Sunday 03:00:20 UTC: the default weekly verification slot (and a daily 03:00 backup slot) is due.</summary>
    private readonly TestClock clock = new(new DateTimeOffset(2026, 11, 29, 3, 0, 20, TimeSpan.Zero));

    private const string Verify = "shop-verify-202611290300";

    protected override Task SeedAsync()
    {
        Seed<Repository>("repositories", """
            apiVersion: backup.serverless.dev/v1alpha1
            kind: Repository
            metadata: { name: repo, namespace: prod }
            spec:
              backend: { storageSecretName: repo-secret, local: { mountPath: /backups } }
              check: { paused: true }
            """);
        SeedAppBinding();
        Seed<AppBinding>("appbindings", """
            apiVersion: appcatalog.appscode.com/v1alpha1
            kind: AppBinding
            metadata: { name: scratch-db, namespace: prod }
            spec: { clientConfig: { url: "tcp(scratch:3307)/" }, secret: { name: scratch-auth } }
            """, AppCatalog);
        Seed<BackupConfiguration>("backupconfigurations", """
            apiVersion: backup.serverless.dev/v1alpha1
            kind: BackupConfiguration
            metadata: { name: shop, namespace: prod }
            spec:
              schedule: "0 3 * * *"
              repository: { name: repo }
              target: { ref: { apiVersion: appcatalog.appscode.com/v1alpha1, kind: AppBinding, name: shop-db }, databases: [shop] }
              verification:
                target: { name: scratch-db }
                checks: [{ name: has-orders, database: shop, sql: "SELECT COUNT(*) FROM orders", min: 1 }]
            """);
        Seed<BackupConfiguration>("backupconfigurations", """
            apiVersion: backup.serverless.dev/v1alpha1
            kind: BackupConfiguration
            metadata: { name: crm, namespace: prod }
            spec:
              schedule: "0 4 * * *"
              repository: { name: repo }
              target: { ref: { kind: AppBinding, name: shop-db } }
              verification: { paused: true }
            """);
        return Task.CompletedTask;
    }

    private MaintenanceScheduler Scheduler() => new(new KubernetesGateway(Client), ControlSettings, clock);

    private JsonArray? Env(string job) => Server.Get("apis/batch/v1", "jobs", "prod", job)?["spec"]?["template"]?["spec"]?["containers"]?[0]?["env"]?.AsArray();

    [Fact]
    public async Task A_due_verification_makes_one_verify_session_for_the_slot_however_often_the_tick_fires()
    {
        var summary = await Scheduler().MaintenanceTickAsync(CancellationToken.None);
        await Task.WhenAll(Scheduler().MaintenanceTickAsync(CancellationToken.None), Scheduler().MaintenanceTickAsync(CancellationToken.None));
        var again = await Scheduler().MaintenanceTickAsync(CancellationToken.None);

        Assert.Contains("2 configurations seen, 1 verify sessions created, 0 existed", summary);
        Assert.Contains("0 verify sessions created, 0 existed", again);
        // The paused one (crm) has none.
        Assert.Equal(1, Server.Count("maintenancesessions"));
        var session = Server.Get(Crd, "maintenancesessions", "prod", Verify)!;
        Assert.Equal(("verify", "shop", "repo"), (session["spec"]!["task"]!.GetValue<string>(), session["spec"]!["configuration"]!.GetValue<string>(), session["spec"]!["repository"]!["name"]!.GetValue<string>()));
        Assert.Equal("shop", session["metadata"]!["labels"]!["backup.serverless.dev/configuration"]!.GetValue<string>());
        Assert.Equal(SessionPhase.Pending, StatusOf("maintenancesessions", Verify)!["phase"]!.GetValue<string>());
        Assert.Equal(new DateTime(2026, 11, 29, 3, 0, 0, DateTimeKind.Utc), StatusOf("backupconfigurations", "shop")!["lastVerificationScheduleTime"]!.GetValue<DateTime>().ToUniversalTime());
    }

    [Fact]
    public async Task A_verify_runs_beside_a_backup_of_its_repository_but_not_beside_a_check_or_another_verify()
    {
        await ControlPlaneAt(clock).ScheduleTickAsync(CancellationToken.None);
        await Scheduler().MaintenanceTickAsync(CancellationToken.None);
        await ControlPlaneAt(clock).ReconcileAsync(CancellationToken.None);

        // The backup of the same slot is not skipped, and the verify reads the repository beside it.
        Assert.Equal(SessionPhase.Running, StatusOf("backupsessions", "shop-202611290300")!["phase"]!.GetValue<string>());
        Assert.Equal(SessionPhase.Running, StatusOf("maintenancesessions", Verify)!["phase"]!.GetValue<string>());
        Assert.Equal("verify", Server.Get("apis/batch/v1", "jobs", "prod", Verify)!["spec"]!["template"]!["spec"]!["containers"]![0]!["args"]![0]!.GetValue<string>());
        Assert.Equal(("mariadb", "scratch", "shop"), (JobEnvValue(Verify, "MYSQL_HOST"), JobEnvValue(Verify, "VERIFY_HOST"), JobEnvValue(Verify, "MYSQL_DATABASES")));
        Assert.Contains("has-orders", JobEnvValue(Verify, "VERIFY_CHECKS"));
        var scratchPassword = Env(Verify)!.Single(e => e!["name"]!.GetValue<string>() == "VERIFY_PASSWORD")!;
        Assert.Null(scratchPassword["value"]);
        Assert.Equal("scratch-auth", scratchPassword["valueFrom"]!["secretKeyRef"]!["name"]!.GetValue<string>());

        // A second verify of the repository and a check wait for it.
        Seed<MaintenanceSession>("maintenancesessions", """
            apiVersion: backup.serverless.dev/v1alpha1
            kind: MaintenanceSession
            metadata: { name: shop-verify-again, namespace: prod }
            spec: { repository: { name: repo }, task: verify, configuration: shop }
            """);
        Seed<MaintenanceSession>("maintenancesessions", """
            apiVersion: backup.serverless.dev/v1alpha1
            kind: MaintenanceSession
            metadata: { name: repo-check-now, namespace: prod }
            spec: { repository: { name: repo }, task: check }
            """);
        await ControlPlaneAt(clock).ReconcileAsync(CancellationToken.None);

        Assert.Equal(SessionPhase.Pending, StatusOf("maintenancesessions", "shop-verify-again")!["phase"]!.GetValue<string>());
        Assert.Contains(Verify, StatusOf("maintenancesessions", "shop-verify-again")!["message"]!.GetValue<string>());
        Assert.Equal(SessionPhase.Pending, StatusOf("maintenancesessions", "repo-check-now")!["phase"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_signed_verify_report_with_a_malformed_verification_is_a_400_and_writes_nothing()
    {
        await Scheduler().MaintenanceTickAsync(CancellationToken.None);
        await ControlPlaneAt(clock).ReconcileAsync(CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        var good = """{"database":"shop","snapshotId":"aaaa1111","scratch":"verify_shop_1","backupSha256":"a","restoredSha256":"a"}""";
        foreach (var verification in new[]
        {
            """{"databases":null}""",
            """{"databases":[null]}""",
            """{"databases":[{"database":"shop","snapshotId":null,"scratch":"s","backupSha256":"a","restoredSha256":"a"}]}""",
            """{"databases":[{"database":"shop","snapshotId":"ab","scratch":"s","backupSha256":"a","restoredSha256":"a"}]}""",
            $$"""{"databases":[{{good}}],"checks":null}""",
            $$"""{"databases":[{{good}}],"checks":[{"name":null,"passed":true,"message":"x"}]}""",
            $$"""{"databases":[{{string.Join(",", Enumerable.Repeat(good, 1001))}}]}""",
        })
        {
            foreach (var type in new[] { "succeeded", "failed" })
            {
                var body = type == "succeeded"
                    ? $$"""{"type":"succeeded","verb":"verify","namespace":"prod","session":"{{Verify}}","time":"{{now:O}}","sequence":1,"databases":[],"durationSeconds":1,"verification":{{verification}}}"""
                    : $$"""{"type":"failed","verb":"verify","namespace":"prod","session":"{{Verify}}","time":"{{now:O}}","sequence":1,"reason":"verificationFailed","message":"m","verification":{{verification}}}""";

                var answer = await DeliverAsync("MaintenanceSession", Verify, body, now);

                Assert.True(answer.Status == 400, $"{answer.Status} {answer.Message} for {verification}");
                Assert.Contains("verification.", answer.Message);
            }
        }
        Assert.Null(StatusOf("backupconfigurations", "shop")!["lastVerification"]);
        Assert.NotEqual(SessionPhase.Succeeded, StatusOf("maintenancesessions", Verify)!["phase"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_signed_successful_verify_report_lands_in_last_verification_and_the_metrics()
    {
        await Scheduler().MaintenanceTickAsync(CancellationToken.None);
        await ControlPlaneAt(clock).ReconcileAsync(CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        var succeeded = new SucceededEvent
        {
            Verb = "verify", Namespace = "prod", Session = Verify, Time = now, DurationSeconds = 42.5, Databases = [],
            Verification = new VerificationResult
            {
                Databases = [new VerifiedDatabase { Database = "shop", SnapshotId = "aaaa1111", Scratch = "verify_shop_1a2b3c", BackupSha256 = new string('a', 64), RestoredSha256 = new string('a', 64) }],
                Checks = [new CheckResult("has-orders", true, "12 rows, at least 1")],
            },
        };

        Assert.Equal(200, (await DeliverAsync("MaintenanceSession", Verify, RunnerJson.Serialize(succeeded), now)).Status);

        var last = StatusOf("backupconfigurations", "shop")!["lastVerification"]!;
        Assert.Equal((SessionPhase.Succeeded, Verify, 42.5), (last["result"]!.GetValue<string>(), last["sessionName"]!.GetValue<string>(), last["durationSeconds"]!.GetValue<double>()));
        Assert.Equal(["aaaa1111"], last["snapshotIds"]!.AsArray().Select(i => i!.GetValue<string>()));
        Assert.Equal("1 database(s) restored and equal to the backup; 1 of 1 check(s) passed", last["message"]!.GetValue<string>());
        Assert.Equal(SessionPhase.Succeeded, StatusOf("maintenancesessions", Verify)!["phase"]!.GetValue<string>());
        var metrics = await ScrapeMetricsAsync(clock);
        Assert.Contains($"mysql_backup_configuration_last_verification_timestamp_seconds{{namespace=\"prod\",configuration=\"shop\"}} {now.ToUnixTimeSeconds()}", metrics);
        Assert.Contains("mysql_backup_configuration_last_verification_succeeded{namespace=\"prod\",configuration=\"shop\"} 1", metrics);
        Assert.Contains("mysql_backup_configuration_verification_interval_seconds{namespace=\"prod\",configuration=\"shop\"} 604800", metrics);
        Assert.DoesNotContain("mysql_backup_configuration_last_verification_succeeded{namespace=\"prod\",configuration=\"crm\"}", metrics);
        Assert.DoesNotContain("mysql_backup_configuration_verification_interval_seconds{namespace=\"prod\",configuration=\"crm\"}", metrics);
    }

    [Fact]
    public async Task A_signed_failed_verify_report_names_the_first_differing_table_and_a_failed_check_is_named_too()
    {
        await Scheduler().MaintenanceTickAsync(CancellationToken.None);
        await ControlPlaneAt(clock).ReconcileAsync(CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        var failed = new FailedEvent
        {
            Verb = "verify", Namespace = "prod", Session = Verify, Time = now, Reason = FailureReason.VerificationFailed,
            Message = "the restored data differs from the backup",
            Verification = new VerificationResult
            {
                Databases = [new VerifiedDatabase
                {
                    Database = "shop", SnapshotId = "bbbb2222", Scratch = "verify_shop_1a2b3c", BackupSha256 = new string('a', 64), RestoredSha256 = new string('b', 64), FirstDifference = "orders",
                }],
            },
        };

        Assert.Equal(200, (await DeliverAsync("MaintenanceSession", Verify, RunnerJson.Serialize(failed), now)).Status);

        var last = StatusOf("backupconfigurations", "shop")!["lastVerification"]!;
        Assert.Equal(SessionPhase.Failed, last["result"]!.GetValue<string>());
        Assert.Equal(["bbbb2222"], last["snapshotIds"]!.AsArray().Select(i => i!.GetValue<string>()));
        Assert.Equal("shop: snapshot bbbb2222 restored into verify_shop_1a2b3c differs from the backup from orders on", last["message"]!.GetValue<string>());
        var session = StatusOf("maintenancesessions", Verify)!;
        Assert.Equal((SessionPhase.Failed, "VerificationFailed"), (session["phase"]!.GetValue<string>(), session["reason"]!.GetValue<string>()));
        Assert.Contains("mysql_backup_configuration_last_verification_succeeded{namespace=\"prod\",configuration=\"shop\"} 0", await ScrapeMetricsAsync(clock));

        // An older report (of an earlier session, arriving late) does not hide the newer failure.
        Assert.False(await VerificationStatusWriter.ApplyAsync(new KubernetesGateway(Client),
            KubernetesJsonOf(Server.Get(Crd, "maintenancesessions", "prod", Verify)!),
            new VerificationStatus { Time = now.AddHours(-1), SessionName = "older", Result = SessionPhase.Succeeded }, CancellationToken.None));
        Assert.Equal(SessionPhase.Failed, StatusOf("backupconfigurations", "shop")!["lastVerification"]!["result"]!.GetValue<string>());

        var checkFailed = VerificationStatusWriter.FromEvent("s", failed with
        {
            Verification = new VerificationResult
            {
                Databases = [new VerifiedDatabase { Database = "shop", SnapshotId = "bbbb2222", Scratch = "x", BackupSha256 = "a", RestoredSha256 = "a" }],
                Checks = [new CheckResult("has-orders", false, "0 rows, expected at least 1")],
            },
        }, now.AddSeconds(-30))!;
        Assert.Equal(("check 'has-orders' failed: 0 rows, expected at least 1", 30.0), (checkFailed.Message, checkFailed.DurationSeconds));
    }

    [Fact]
    public async Task A_verify_whose_job_failed_without_a_report_is_recorded_as_a_failed_verification()
    {
        await Scheduler().MaintenanceTickAsync(CancellationToken.None);
        await ControlPlaneAt(clock).ReconcileAsync(CancellationToken.None);
        Server.Mutate("apis/batch/v1", "jobs", "prod", Verify, j => j["status"] = new JsonObject
        {
            ["failed"] = 1,
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Failed", ["status"] = "True", ["reason"] = "BackoffLimitExceeded" }),
        });

        await ControlPlaneAt(clock).ReconcileAsync(CancellationToken.None);

        var last = StatusOf("backupconfigurations", "shop")!["lastVerification"]!;
        Assert.Equal((SessionPhase.Failed, Verify), (last["result"]!.GetValue<string>(), last["sessionName"]!.GetValue<string>()));
        Assert.StartsWith("BackoffLimitExceeded", last["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_verify_whose_scratch_server_does_not_exist_fails_naming_the_field_and_counts_as_a_failed_verification()
    {
        Server.Mutate(Crd, "backupconfigurations", "prod", "shop", c => c["spec"]!["verification"]!["target"]!["name"] = "gone-db");
        await Scheduler().MaintenanceTickAsync(CancellationToken.None);

        await ControlPlaneAt(clock).ReconcileAsync(CancellationToken.None);

        var session = StatusOf("maintenancesessions", Verify)!;
        Assert.Equal((SessionPhase.Failed, "InvalidReference"), (session["phase"]!.GetValue<string>(), session["reason"]!.GetValue<string>()));
        Assert.StartsWith("spec.verification.target.name: AppBinding prod/gone-db", session["message"]!.GetValue<string>());
        Assert.Null(Server.Get("apis/batch/v1", "jobs", "prod", Verify));
        var last = StatusOf("backupconfigurations", "shop")!["lastVerification"]!;
        Assert.Equal(SessionPhase.Failed, last["result"]!.GetValue<string>());
        Assert.Contains("gone-db", last["message"]!.GetValue<string>());
    }

    private static MaintenanceSession KubernetesJsonOf(JsonObject json) => k8s.KubernetesJson.Deserialize<MaintenanceSession>(json.ToJsonString());

}
