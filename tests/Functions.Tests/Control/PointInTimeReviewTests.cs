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

/// <summary>Point-in-time recovery facing hostile status, invalid spec.pointInTime and the monitoring it promises.</summary>
public sealed class PointInTimeReviewTests : ApiServerTest
{
    private readonly TestClock clock = new(new DateTimeOffset(2026, 11, 29, 12, 5, 20, TimeSpan.Zero));

    private const string Archive = "shop-202611291205-archive";

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
        Seed<BackupConfiguration>("backupconfigurations", """
            apiVersion: backup.serverless.dev/v1alpha1
            kind: BackupConfiguration
            metadata: { name: shop, namespace: prod }
            spec:
              schedule: "0 3 * * *"
              repository: { name: repo }
              target: { ref: { apiVersion: appcatalog.appscode.com/v1alpha1, kind: AppBinding, name: shop-db }, databases: [shop] }
              pointInTime: { enabled: true }
            """);
        return Task.CompletedTask;
    }

    private SessionApi Sessions() => new(new KubernetesGateway(Client), ControlPlaneAt(clock), clock);

    private async Task<(int Status, string Message)> RestoreAsync(string body)
    {
        var result = await Sessions().CreateRestoreAsync("prod", Encoding.UTF8.GetBytes(body), CancellationToken.None);
        return (result.Status, result.Body is ProblemBody problem ? problem.Detail : "");
    }

    private void SetWindow(JsonNode? windows = null, JsonNode? gaps = null) =>
        Server.Mutate(Crd, "backupconfigurations", "prod", "shop", c =>
        {
            c["status"] ??= new JsonObject();
            c["status"]!["pointInTime"] = new JsonObject
            {
                ["earliest"] = "2026-11-29T03:00:05Z", ["latest"] = "2026-11-29T12:00:00Z",
                ["windows"] = windows ?? new JsonArray(new JsonObject { ["start"] = "2026-11-29T03:00:05Z", ["end"] = "2026-11-29T12:00:00Z" }),
                ["gaps"] = gaps ?? new JsonArray(),
            };
        });

    [Fact]
    public async Task A_hand_written_status_point_in_time_with_null_windows_or_gaps_is_no_500_for_a_restore()
    {
        SetWindow(new JsonArray((JsonNode?)null, new JsonObject { ["start"] = "2026-11-29T03:00:05Z", ["end"] = "2026-11-29T12:00:00Z" }), new JsonArray((JsonNode?)null));

        foreach (var time in new[] { "2026-11-29T11:00:00Z", "2026-11-29T02:00:00Z" })
        {
            var answer = await RestoreAsync($$"""{"repository":"repo","target":"shop-db","pointInTime":"{{time}}"}""");
            Assert.True(answer.Status is 202 or 422, $"{answer.Status} {answer.Message} for {time}");
        }
    }

    [Fact]
    public async Task An_invalid_spec_point_in_time_stops_point_in_time_restores_as_documented()
    {
        SetWindow();
        Server.Mutate(Crd, "backupconfigurations", "prod", "shop", c => c["spec"]!["pointInTime"]!["timeOut"] = "forever");

        var answer = await RestoreAsync("""{"repository":"repo","target":"shop-db","pointInTime":"2026-11-29T11:00:00Z"}""");

        Assert.True(answer.Status == 422, $"{answer.Status} {answer.Message}");
        Assert.Contains("spec.pointInTime.timeOut", answer.Message);
        Assert.Equal(0, Server.Count("restoresessions"));
    }

    [Fact]
    public async Task A_restore_session_written_as_a_resource_with_an_invalid_spec_point_in_time_gets_no_job()
    {
        SetWindow();
        Server.Mutate(Crd, "backupconfigurations", "prod", "shop", c => c["spec"]!["pointInTime"]!["timeOut"] = "forever");
        Seed<RestoreSession>("restoresessions", """
            apiVersion: backup.serverless.dev/v1alpha1
            kind: RestoreSession
            metadata: { name: to-eleven, namespace: prod }
            spec:
              repository: { name: repo }
              target: { ref: { kind: AppBinding, name: shop-db } }
              pointInTime: "2026-11-29T11:00:00Z"
            """);

        await ControlPlaneAt(clock).ReconcileAsync(CancellationToken.None);

        Assert.Null(Server.Get("apis/batch/v1", "jobs", "prod", "to-eleven"));
        Assert.Equal(SessionPhase.Failed, StatusOf("restoresessions", "to-eleven")!["phase"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_documented_point_in_time_metrics_are_served_so_that_the_lag_and_gap_alerts_can_fire()
    {
        SetWindow(gaps: new JsonArray(new JsonObject
        {
            ["firstMissingFile"] = "mysql-bin.000007", ["lastMissingFile"] = "mysql-bin.000007",
            ["from"] = "2026-11-29T05:00:00Z", ["to"] = "2026-11-29T06:00:00Z", ["message"] = "missing",
        }));

        var metrics = await ScrapeMetricsAsync(clock);

        Assert.Contains("mysql_backup_configuration_pitr_latest_recoverable_timestamp_seconds{namespace=\"prod\",configuration=\"shop\"} 1795953600", metrics);
        Assert.Contains("mysql_backup_configuration_pitr_earliest_recoverable_timestamp_seconds{namespace=\"prod\",configuration=\"shop\"} 1795921205", metrics);
        Assert.Contains("mysql_backup_configuration_pitr_archive_interval_seconds{namespace=\"prod\",configuration=\"shop\"} 300", metrics);
        Assert.Contains("mysql_backup_configuration_pitr_gaps{namespace=\"prod\",configuration=\"shop\"} 1", metrics);
    }

    [Fact]
    public async Task An_archive_that_failed_after_storing_some_logs_keeps_the_recoverable_window_in_status()
    {
        await ControlPlaneAt(clock).ScheduleTickAsync(CancellationToken.None);
        await ControlPlaneAt(clock).ReconcileAsync(CancellationToken.None);
        SetWindow();
        var now = DateTimeOffset.UtcNow;
        // What the runner sends when a run fails after storing a log: the logs it stored, no windows (it did not compute them).
        var failed = new FailedEvent
        {
            Verb = "archive", Namespace = "prod", Session = Archive, Time = now, Reason = FailureReason.DumpTruncated,
            Message = "the copy of binary log mysql-bin.000014 is not whole",
            PointInTime = new PointInTimeReport { ArchivedFiles = 1, ArchivedBytes = 4096, LastArchivedFile = "mysql-bin.000013" },
        };

        Assert.Equal(200, (await DeliverAsync("MaintenanceSession", Archive, RunnerJson.Serialize(failed), now)).Status);

        var status = StatusOf("backupconfigurations", "shop")!["pointInTime"]!;
        Assert.StartsWith("DumpTruncated:", status["lastError"]!.GetValue<string>());
        Assert.Equal("mysql-bin.000013", status["lastArchivedFile"]!.GetValue<string>());
        Assert.Single(status["windows"]!.AsArray());
        Assert.NotNull(status["latest"]);
        var answer = await RestoreAsync("""{"repository":"repo","target":"shop-db","pointInTime":"2026-11-29T11:00:00Z"}""");
        Assert.True(answer.Status == 202, $"{answer.Status} {answer.Message}");
    }

    [Fact]
    public async Task A_session_never_runs_on_the_job_of_a_session_of_another_kind_with_the_same_name()
    {
        // A backup of "shop-archive" at 12:05 and the archive of "shop" at 12:05 never share a name.
        await ControlPlaneAt(clock).ScheduleTickAsync(CancellationToken.None);
        Assert.Equal("shop-202611291205-archive", ControlPlane.ArchiveSessionName("shop", new DateTimeOffset(2026, 11, 29, 12, 5, 0, TimeSpan.Zero)));
        Assert.NotEqual(Archive, ControlPlane.SessionName("shop-archive", new DateTimeOffset(2026, 11, 29, 12, 5, 0, TimeSpan.Zero)));
        await ControlPlaneAt(clock).ReconcileAsync(CancellationToken.None);
        Assert.Equal(SessionPhase.Running, StatusOf("maintenancesessions", Archive)!["phase"]!.GetValue<string>());

        // A RestoreSession written by hand with the archive's name: its Job's name is taken by the archive's Job.
        Seed<RestoreSession>("restoresessions", $$"""
            apiVersion: backup.serverless.dev/v1alpha1
            kind: RestoreSession
            metadata: { name: {{Archive}}, namespace: prod }
            spec: { repository: { name: repo }, target: { ref: { kind: AppBinding, name: shop-db } } }
            """);
        await ControlPlaneAt(clock).ReconcileAsync(CancellationToken.None);

        var restore = StatusOf("restoresessions", Archive)!;
        Assert.Equal((SessionPhase.Failed, "JobNameTaken"), (restore["phase"]!.GetValue<string>(), restore["reason"]!.GetValue<string>()));
        Assert.Contains("give this session another name", restore["message"]!.GetValue<string>());
        Assert.Equal("MaintenanceSession", Server.Get("apis/batch/v1", "jobs", "prod", Archive)!["metadata"]!["ownerReferences"]![0]!["kind"]!.GetValue<string>());
        Assert.Equal(SessionPhase.Running, StatusOf("maintenancesessions", Archive)!["phase"]!.GetValue<string>());
    }

}
