using System.Globalization;
using System.Text;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Core.Webhook;
using Serverless.Backup.Control;
using Serverless.Backup.Control.Resources;

namespace Serverless.Backup.Functions.Tests.Hardening;

/// <summary>Verification in folder mode: StartMaintenance's verify, the schedule, and a signed report reaching the YAML status and the metrics.</summary>
public sealed class StartVerifyTests : IDisposable
{
    private readonly FolderControlPlane plane = new();

    public StartVerifyTests()
    {
        plane.WriteConfiguration("shop", """
              verification: { databasePrefix: check_, paused: true }
            """);
        plane.WriteConfiguration("plain");
        plane.Write("repositories", "other", """
            apiVersion: backup.serverless.dev/v1alpha1
            kind: Repository
            metadata: { name: other, namespace: prod }
            spec: { backend: { storageSecretName: repo-secret, local: { mountPath: /backups } }, check: { paused: true } }
            """);
    }

    public void Dispose() => plane.Dispose();

    private Task<ApiResult> StartAsync(string repository, string body) =>
        plane.Repositories.StartMaintenanceAsync(FolderControlPlane.Namespace, repository, Encoding.UTF8.GetBytes(body), CancellationToken.None);

    private static string Detail(ApiResult result) => Assert.IsType<ProblemBody>(result.Body).Detail;

    [Fact]
    public async Task A_verify_of_a_configuration_of_the_repository_is_a_pending_verify_session()
    {
        var started = await StartAsync("repo", """{"task": "verify", "configuration": "shop", "name": "shop-verify-now", "timeOut": "90m"}""");

        Assert.Equal(202, started.Status);
        Assert.Equal("/api/sessions/prod/maintenancesessions/shop-verify-now", started.Location);
        var session = plane.Read<MaintenanceSession>("maintenancesessions", "shop-verify-now")!;
        Assert.Equal((MaintenanceTask.Verify, "shop", "repo", "90m"), (session.Spec.Task, session.Spec.Configuration, session.Spec.Repository.Name, session.Spec.TimeOut));
        Assert.Equal("shop", session.Metadata.Labels["backup.serverless.dev/configuration"]);
        Assert.Equal(SessionPhase.Pending, session.Status?.Phase);

        // A configuration without spec.verification is verified with the defaults.
        Assert.Equal(202, (await StartAsync("repo", """{"task": "verify", "configuration": "plain"}""")).Status);
    }

    [Fact]
    public async Task A_verify_without_a_configuration_is_400_and_one_the_repository_does_not_hold_is_422_naming_the_field()
    {
        var missing = await StartAsync("repo", """{"task": "verify"}""");
        var unknown = await StartAsync("repo", """{"task": "verify", "configuration": "ghost"}""");
        var elsewhere = await StartAsync("other", """{"task": "verify", "configuration": "shop"}""");
        var badName = await StartAsync("repo", """{"task": "verify", "configuration": "Not/A/Name"}""");

        Assert.Equal(400, missing.Status);
        Assert.StartsWith("configuration is empty", Detail(missing));
        Assert.Equal(422, unknown.Status);
        Assert.Equal("configuration: BackupConfiguration prod/ghost does not exist", Detail(unknown));
        Assert.Equal(422, elsewhere.Status);
        Assert.Equal("configuration: BackupConfiguration prod/shop backs up into repository repo, not other", Detail(elsewhere));
        Assert.Equal(400, badName.Status);
        Assert.StartsWith("configuration 'Not/A/Name' is not a valid Kubernetes name", Detail(badName));
        Assert.False(Directory.Exists(Path.Combine(plane.Folder, FolderControlPlane.Namespace, "maintenancesessions")));
    }

    [Fact]
    public async Task A_configuration_with_an_invalid_verification_cannot_be_verified_on_demand()
    {
        plane.WriteConfiguration("broken", """
              verification: { checks: [{ name: orders, database: shop, sql: "SELECT COUNT(*) FROM orders" }] }
            """);

        var refused = await StartAsync("repo", """{"task": "verify", "configuration": "broken"}""");

        Assert.Equal(422, refused.Status);
        Assert.Contains("spec.verification.checks[0]: check 'orders' expects nothing", Detail(refused));
    }

    [Fact]
    public async Task A_scheduled_verify_and_its_signed_failed_report_reach_the_configurations_yaml_status_and_the_metrics()
    {
        plane.WriteConfiguration("nightly", """
              verification:
                schedule: "* * * * *"
                checks: [{ name: one-admin, database: shop, sql: "SELECT COUNT(*) FROM admins", equals: 1 }]
            """);
        var summary = await plane.Maintenance.MaintenanceTickAsync(CancellationToken.None);
        Assert.Contains("1 verify sessions created", summary);
        var session = Assert.Single(Directory.GetFiles(Path.Combine(plane.Folder, FolderControlPlane.Namespace, "maintenancesessions"), "nightly-verify-*.yaml")
            .Select(f => plane.Read<MaintenanceSession>("maintenancesessions", Path.GetFileNameWithoutExtension(f))!));
        Assert.Equal((MaintenanceTask.Verify, "nightly"), (session.Spec.Task, session.Spec.Configuration));
        // The check's "equals" survives the YAML file: the configuration is valid and its verification due.
        Assert.Equal(1m, plane.Read<BackupConfiguration>("backupconfigurations", "nightly")!.Spec.Verification!.Checks![0].EqualTo);

        var now = DateTimeOffset.UtcNow;
        var failed = new FailedEvent
        {
            Verb = "verify", Namespace = FolderControlPlane.Namespace, Session = session.Name, Time = now, Reason = FailureReason.VerificationFailed,
            Message = "a check failed",
            Verification = new VerificationResult
            {
                Databases = [new VerifiedDatabase { Database = "shop", SnapshotId = "cccc3333", Scratch = "verify_shop_9f8e", BackupSha256 = "ab", RestoredSha256 = "ab" }],
                Checks = [new CheckResult("one-admin", false, "2, expected 1")],
            },
        };
        var body = Encoding.UTF8.GetBytes(RunnerJson.Serialize(failed));
        var token = WebhookSignature.DeriveToken(plane.Settings.WebhookMasterKey!, new SessionIdentity(FolderControlPlane.Namespace, session.Kind, session.Name, session.Metadata.Uid));
        var timestamp = now.ToUnixTimeSeconds();
        var result = await new SessionEvents(plane.Gateway, plane.Settings, TimeProvider.System).HandleAsync(
            $"{FolderControlPlane.Namespace}/MaintenanceSession/{session.Name}", timestamp.ToString(CultureInfo.InvariantCulture), WebhookSignature.Sign(token, timestamp, body), body, CancellationToken.None);

        Assert.Equal(200, result.Status);
        var last = plane.Read<BackupConfiguration>("backupconfigurations", "nightly")!.Status!.LastVerification!;
        Assert.Equal((SessionPhase.Failed, session.Name, "check 'one-admin' failed: 2, expected 1"), (last.Result, last.SessionName, last.Message));
        Assert.Equal(["cccc3333"], last.SnapshotIds!);
        var metrics = await plane.MetricsTextAsync();
        Assert.Contains("mysql_backup_configuration_last_verification_succeeded{namespace=\"prod\",configuration=\"nightly\"} 0", metrics);
        Assert.Contains("mysql_backup_configuration_verification_interval_seconds{namespace=\"prod\",configuration=\"nightly\"} 60", metrics);
        Assert.DoesNotContain("mysql_backup_configuration_last_verification_timestamp_seconds{namespace=\"prod\",configuration=\"shop\"}", metrics);
    }
}
