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
/// Point-in-time recovery in the control plane: archive sessions on their schedule, their Jobs, the reports that
/// reach status.pointInTime, and point-in-time restores refused or created; through the real KubernetesClient
/// against the fake API server.
/// </summary>
public sealed class PointInTimeOverApiServerTests : ApiServerTest
{
    /// <summary>12:05:20 UTC: a 5-minute archive slot (12:05) is due; the daily 03:00 backup is not.</summary>
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
        Seed<BackupConfiguration>("backupconfigurations", """
            apiVersion: backup.serverless.dev/v1alpha1
            kind: BackupConfiguration
            metadata: { name: crm, namespace: prod }
            spec:
              schedule: "0 4 * * *"
              repository: { name: repo }
              target: { ref: { kind: AppBinding, name: shop-db } }
              pointInTime: { enabled: false }
            """);
        return Task.CompletedTask;
    }

    private SessionApi Sessions() => new(new KubernetesGateway(Client), ControlPlaneAt(clock), clock);

    private static readonly DateTimeOffset Dump = new(2026, 11, 29, 3, 0, 5, TimeSpan.Zero);
    private static readonly DateTimeOffset LastEvent = new(2026, 11, 29, 12, 4, 58, TimeSpan.Zero);

    private static PointInTimeReport Report(int archived = 2) => new()
    {
        Earliest = Dump, Latest = LastEvent, LastArchivedFile = "mysql-bin.000012", ArchivedFiles = archived, ArchivedBytes = 4096,
        Windows = [new RecoveryWindow(Dump, new DateTimeOffset(2026, 11, 29, 8, 0, 0, TimeSpan.Zero)), new RecoveryWindow(new DateTimeOffset(2026, 11, 29, 9, 0, 0, TimeSpan.Zero), LastEvent)],
        Gaps = [new BinlogGap { FirstMissingFile = "mysql-bin.000007", LastMissingFile = "mysql-bin.000008", From = new DateTimeOffset(2026, 11, 29, 8, 0, 0, TimeSpan.Zero), To = new DateTimeOffset(2026, 11, 29, 9, 0, 0, TimeSpan.Zero), Message = "binary logs mysql-bin.000007 to mysql-bin.000008 are missing" }],
    };

    private async Task<WebhookResult> ArchiveSucceededAsync(DateTimeOffset time, PointInTimeReport report, long sequence = 1) =>
        await DeliverAsync("MaintenanceSession", Archive, RunnerJson.Serialize(new SucceededEvent
        {
            Verb = "archive", Namespace = "prod", Session = Archive, Time = time, Sequence = sequence, DurationSeconds = 3, Databases = [], PointInTime = report,
        }), DateTimeOffset.UtcNow);

    [Fact]
    public async Task An_archive_slot_makes_one_archive_session_and_none_while_it_is_unfinished()
    {
        var summary = await ControlPlaneAt(clock).ScheduleTickAsync(CancellationToken.None);
        await Task.WhenAll(ControlPlaneAt(clock).ScheduleTickAsync(CancellationToken.None), ControlPlaneAt(clock).ScheduleTickAsync(CancellationToken.None));

        Assert.Contains("1 archive sessions created", summary);
        Assert.Equal(1, Server.Count("maintenancesessions"));
        var session = Server.Get(Crd, "maintenancesessions", "prod", Archive)!;
        Assert.Equal(("archive", "shop", "repo"), (session["spec"]!["task"]!.GetValue<string>(), session["spec"]!["configuration"]!.GetValue<string>(), session["spec"]!["repository"]!["name"]!.GetValue<string>()));
        Assert.Equal(new DateTime(2026, 11, 29, 12, 5, 0, DateTimeKind.Utc), StatusOf("backupconfigurations", "shop")!["lastArchiveScheduleTime"]!.GetValue<DateTime>().ToUniversalTime());

        // Five minutes on, the first is still Pending: the slot is passed over, not queued behind it.
        clock.Now = clock.Now.AddMinutes(5);
        Assert.Contains("0 archive sessions created", await ControlPlaneAt(clock).ScheduleTickAsync(CancellationToken.None));
        Assert.Equal(1, Server.Count("maintenancesessions"));
        Assert.Equal(new DateTime(2026, 11, 29, 12, 10, 0, DateTimeKind.Utc), StatusOf("backupconfigurations", "shop")!["lastArchiveScheduleTime"]!.GetValue<DateTime>().ToUniversalTime());

        // Once it ended, the next slot gets its own.
        Server.Mutate(Crd, "maintenancesessions", "prod", Archive, s => s["status"] = new JsonObject { ["phase"] = SessionPhase.Succeeded });
        clock.Now = clock.Now.AddMinutes(5);
        Assert.Contains("1 archive sessions created", await ControlPlaneAt(clock).ScheduleTickAsync(CancellationToken.None));
        Assert.NotNull(Server.Get(Crd, "maintenancesessions", "prod", "shop-202611291215-archive"));
    }

    [Fact]
    public async Task An_archive_job_runs_beside_a_backup_but_not_beside_a_check_or_another_archive()
    {
        Seed<BackupSession>("backupsessions", """
            apiVersion: backup.serverless.dev/v1alpha1
            kind: BackupSession
            metadata: { name: shop-manual, namespace: prod, labels: { backup.serverless.dev/configuration: shop } }
            spec: { invoker: { kind: BackupConfiguration, name: shop } }
            """);
        await ControlPlaneAt(clock).ReconcileAsync(CancellationToken.None);
        await ControlPlaneAt(clock).ScheduleTickAsync(CancellationToken.None);
        await ControlPlaneAt(clock).ReconcileAsync(CancellationToken.None);

        Assert.Equal(SessionPhase.Running, StatusOf("maintenancesessions", Archive)!["phase"]!.GetValue<string>());
        var args = JobOf(Archive)!["spec"]!["template"]!["spec"]!["containers"]![0]!["args"]!.AsArray();
        Assert.Equal("archive", args[0]!.GetValue<string>());
        Assert.Equal(("mariadb", "true", "shop"), (JobEnvValue(Archive, "MYSQL_HOST"), JobEnvValue(Archive, "BINLOG_RECORD_POSITION"), JobEnvValue(Archive, "BACKUP_CONFIGURATION")));
        Assert.Equal(JobFactory.BinlogScratchSize, JobOf(Archive)!["spec"]!["template"]!["spec"]!["volumes"]![0]!["emptyDir"]!["sizeLimit"]!.GetValue<string>());
        // Backups of a configuration with point-in-time recovery record their binary-log position.
        Assert.Equal("true", JobEnvValue("shop-manual", "BINLOG_RECORD_POSITION"));

        foreach (var (name, task) in new[] { ("shop-archive-again", "archive"), ("repo-check-now", "check") })
        {
            Seed<MaintenanceSession>("maintenancesessions", $$"""
                apiVersion: backup.serverless.dev/v1alpha1
                kind: MaintenanceSession
                metadata: { name: {{name}}, namespace: prod }
                spec: { repository: { name: repo }, task: {{task}}, configuration: shop }
                """);
        }
        await ControlPlaneAt(clock).ReconcileAsync(CancellationToken.None);

        Assert.Equal(SessionPhase.Pending, StatusOf("maintenancesessions", "shop-archive-again")!["phase"]!.GetValue<string>());
        Assert.Contains(Archive, StatusOf("maintenancesessions", "shop-archive-again")!["message"]!.GetValue<string>());
        Assert.Equal(SessionPhase.Pending, StatusOf("maintenancesessions", "repo-check-now")!["phase"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_archive_of_a_configuration_without_point_in_time_fails_naming_the_field()
    {
        Seed<MaintenanceSession>("maintenancesessions", """
            apiVersion: backup.serverless.dev/v1alpha1
            kind: MaintenanceSession
            metadata: { name: crm-archive, namespace: prod }
            spec: { repository: { name: repo }, task: archive, configuration: crm }
            """);

        await ControlPlaneAt(clock).ReconcileAsync(CancellationToken.None);

        var status = StatusOf("maintenancesessions", "crm-archive")!;
        Assert.Equal(SessionPhase.Failed, status["phase"]!.GetValue<string>());
        Assert.Contains("spec.pointInTime.enabled", status["message"]!.GetValue<string>());
        Assert.Null(JobOf("crm-archive"));
    }

    [Fact]
    public async Task An_invalid_point_in_time_schedule_stops_archiving_only_and_says_so()
    {
        Server.Mutate(Crd, "backupconfigurations", "prod", "shop", c => c["spec"]!["pointInTime"]!["schedule"] = "*/5 * * *");
        clock.Now = new DateTimeOffset(2026, 11, 29, 3, 0, 20, TimeSpan.Zero);

        await ControlPlaneAt(clock).ScheduleTickAsync(CancellationToken.None);

        var status = StatusOf("backupconfigurations", "shop")!;
        Assert.Equal(ResourcePhase.Ready, status["phase"]!.GetValue<string>());
        var condition = status["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == ResourceCondition.PointInTimeValid)!;
        Assert.Equal("False", condition["status"]!.GetValue<string>());
        Assert.StartsWith("spec.pointInTime.schedule '*/5 * * *'", condition["message"]!.GetValue<string>());
        // The backup of the slot is made; no archive session is.
        Assert.NotNull(Server.Get(Crd, "backupsessions", "prod", "shop-202611290300"));
        Assert.Equal(0, Server.Count("maintenancesessions"));
        // The metrics say so too: the configuration counts as invalid, its backup schedule is still watched, the
        // archive schedule is not.
        var metrics = await ScrapeMetricsAsync(clock);
        Assert.Contains("mysql_backup_invalid_resources{namespace=\"prod\",kind=\"BackupConfiguration\",name=\"shop\"} 1", metrics);
        Assert.Contains("mysql_backup_configuration_schedule_interval_seconds{namespace=\"prod\",configuration=\"shop\"} 86400", metrics);
        Assert.DoesNotContain("mysql_backup_configuration_pitr_archive_interval_seconds{namespace=\"prod\",configuration=\"shop\"}", metrics);

        // Fixed: the condition turns True and archiving starts.
        Server.Mutate(Crd, "backupconfigurations", "prod", "shop", c => c["spec"]!["pointInTime"]!["schedule"] = "* * * * *");
        clock.Now = clock.Now.AddMinutes(1);
        await ControlPlaneAt(clock).ScheduleTickAsync(CancellationToken.None);
        Assert.Equal("True", StatusOf("backupconfigurations", "shop")!["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == ResourceCondition.PointInTimeValid)!["status"]!.GetValue<string>());
        Assert.Equal(1, Server.Count("maintenancesessions"));
        Assert.Contains("mysql_backup_configuration_pitr_archive_interval_seconds{namespace=\"prod\",configuration=\"shop\"} 60", await ScrapeMetricsAsync(clock));
    }

    [Fact]
    public async Task A_signed_archive_report_lands_in_status_point_in_time_and_an_older_one_changes_nothing()
    {
        await ControlPlaneAt(clock).ScheduleTickAsync(CancellationToken.None);
        await ControlPlaneAt(clock).ReconcileAsync(CancellationToken.None);
        var now = DateTimeOffset.UtcNow;

        Assert.Equal(200, (await ArchiveSucceededAsync(now, Report())).Status);

        var status = StatusOf("backupconfigurations", "shop")!["pointInTime"]!;
        Assert.Equal("mysql-bin.000012", status["lastArchivedFile"]!.GetValue<string>());
        Assert.Equal(Archive, status["lastArchiveSession"]!.GetValue<string>());
        Assert.Equal(2, status["windows"]!.AsArray().Count);
        Assert.Equal("mysql-bin.000007", status["gaps"]![0]!["firstMissingFile"]!.GetValue<string>());
        Assert.Equal(LastEvent.UtcDateTime, status["latest"]!.GetValue<DateTime>().ToUniversalTime());
        Assert.Null(status["lastError"]);

        Assert.False(await PointInTimeStatusWriter.ApplyAsync(new KubernetesGateway(Client),
            k8s.KubernetesJson.Deserialize<MaintenanceSession>(Server.Get(Crd, "maintenancesessions", "prod", Archive)!.ToJsonString()),
            new SucceededEvent { Verb = "archive", Namespace = "prod", Session = Archive, Time = now.AddMinutes(-10), DurationSeconds = 1, Databases = [], PointInTime = new PointInTimeReport() },
            CancellationToken.None));
        Assert.Equal(2, StatusOf("backupconfigurations", "shop")!["pointInTime"]!["windows"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_failed_archive_names_its_reason_in_status_and_keeps_the_window()
    {
        await ControlPlaneAt(clock).ScheduleTickAsync(CancellationToken.None);
        await ControlPlaneAt(clock).ReconcileAsync(CancellationToken.None);
        Server.Mutate(Crd, "backupconfigurations", "prod", "shop", c => c["status"]!["pointInTime"] = new JsonObject
        {
            ["earliest"] = "2026-11-29T03:00:05Z", ["latest"] = "2026-11-29T12:00:00Z",
            ["windows"] = new JsonArray(new JsonObject { ["start"] = "2026-11-29T03:00:05Z", ["end"] = "2026-11-29T12:00:00Z" }),
        });
        var now = DateTimeOffset.UtcNow;
        var failed = new FailedEvent
        {
            Verb = "archive", Namespace = "prod", Session = Archive, Time = now, Reason = FailureReason.BinaryLogUnavailable,
            Message = "binary logging is off on the server (log_bin is OFF): start it with --log-bin",
        };

        Assert.Equal(200, (await DeliverAsync("MaintenanceSession", Archive, RunnerJson.Serialize(failed), now)).Status);

        var status = StatusOf("backupconfigurations", "shop")!["pointInTime"]!;
        Assert.Equal("BinaryLogUnavailable: binary logging is off on the server (log_bin is OFF): start it with --log-bin", status["lastError"]!.GetValue<string>());
        Assert.Single(status["windows"]!.AsArray());
    }

    [Fact]
    public async Task A_signed_archive_report_with_a_malformed_window_is_a_400_and_writes_nothing()
    {
        await ControlPlaneAt(clock).ScheduleTickAsync(CancellationToken.None);
        await ControlPlaneAt(clock).ReconcileAsync(CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        var window = """{"start":"2026-11-29T03:00:00Z","end":"2026-11-29T04:00:00Z"}""";
        var gap = """{"firstMissingFile":"b.000001","lastMissingFile":"b.000002","message":"m"}""";
        foreach (var report in new[]
        {
            """{"windows":null,"gaps":[]}""",
            """{"windows":[null],"gaps":[]}""",
            """{"windows":[{"start":"2026-11-29T05:00:00Z","end":"2026-11-29T04:00:00Z"}],"gaps":[]}""",
            $$"""{"windows":[{{string.Join(",", Enumerable.Repeat(window, 5001))}}],"gaps":[]}""",
            """{"windows":[],"gaps":null}""",
            """{"windows":[],"gaps":[{"firstMissingFile":"../../etc/passwd","lastMissingFile":"b.000002","message":"m"}]}""",
            """{"windows":[],"gaps":[{"firstMissingFile":"b.000001","lastMissingFile":null,"message":"m"}]}""",
            $$"""{"windows":[],"gaps":[{{gap}}],"lastArchivedFile":"a/b"}""",
            """{"windows":[],"gaps":[],"archivedFiles":-1}""",
            """{"windows":[],"gaps":[],"earliest":"2026-11-29T05:00:00Z","latest":"2026-11-29T04:00:00Z"}""",
        })
        {
            var body = $$"""{"type":"succeeded","verb":"archive","namespace":"prod","session":"{{Archive}}","time":"{{now:O}}","sequence":1,"databases":[],"durationSeconds":1,"pointInTime":{{report}}}""";

            var answer = await DeliverAsync("MaintenanceSession", Archive, body, now);

            Assert.True(answer.Status == 400, $"{answer.Status} {answer.Message} for {report}");
            Assert.Contains("pointInTime.", answer.Message);
        }
        Assert.Null(StatusOf("backupconfigurations", "shop")!["pointInTime"]);
        Assert.NotEqual(SessionPhase.Succeeded, StatusOf("maintenancesessions", Archive)!["phase"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_archive_whose_job_failed_without_a_report_says_so_in_status()
    {
        await ControlPlaneAt(clock).ScheduleTickAsync(CancellationToken.None);
        await ControlPlaneAt(clock).ReconcileAsync(CancellationToken.None);
        Server.Mutate("apis/batch/v1", "jobs", "prod", Archive, j => j["status"] = new JsonObject
        {
            ["failed"] = 1,
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Failed", ["status"] = "True", ["reason"] = "BackoffLimitExceeded" }),
        });

        await ControlPlaneAt(clock).ReconcileAsync(CancellationToken.None);

        Assert.StartsWith($"archive session {Archive}: BackoffLimitExceeded", StatusOf("backupconfigurations", "shop")!["pointInTime"]!["lastError"]!.GetValue<string>());
    }

    private async Task<(int Status, string Message)> RestoreAsync(string body)
    {
        var result = await Sessions().CreateRestoreAsync("prod", Encoding.UTF8.GetBytes(body), CancellationToken.None);
        return (result.Status, result.Body is ProblemBody problem ? problem.Detail : "");
    }

    [Fact]
    public async Task A_point_in_time_restore_outside_the_window_or_in_a_gap_is_refused_with_the_window_and_nothing_is_created()
    {
        await ControlPlaneAt(clock).ScheduleTickAsync(CancellationToken.None);
        await ControlPlaneAt(clock).ReconcileAsync(CancellationToken.None);
        // No window yet.
        var none = await RestoreAsync("""{"repository":"repo","target":"shop-db","pointInTime":"latest"}""");
        Assert.Equal(422, none.Status);
        Assert.Contains("has no recoverable window yet", none.Message);

        await ArchiveSucceededAsync(DateTimeOffset.UtcNow, Report());
        foreach (var (time, expected) in new[]
        {
            ("2026-11-29T02:00:00Z", "is before the first full backup with a recorded position: choose a time in one of the recoverable windows 2026-11-29T03:00:05Z to 2026-11-29T08:00:00Z, 2026-11-29T09:00:00Z to 2026-11-29T12:04:58Z"),
            ("2026-11-29T08:30:00Z", "falls in a gap of the archived binary logs (binary logs mysql-bin.000007 to mysql-bin.000008 are missing)"),
            ("2026-11-29T12:05:10Z", "is after the last archived event (2026-11-29T12:04:58Z)"),
            ("2026-11-29T13:00:00+00:00", "is in the future"),
        })
        {
            var answer = await RestoreAsync($$"""{"repository":"repo","target":"shop-db","pointInTime":"{{time}}"}""");
            Assert.True(answer.Status == 422, $"{answer.Status} {answer.Message} for {time}");
            Assert.Contains(expected, answer.Message);
        }
        Assert.Equal(0, Server.Count("restoresessions"));
    }

    [Theory]
    [InlineData("""{"repository":"repo","target":"shop-db","pointInTime":"yesterday"}""", 400, "pointInTime 'yesterday' is not valid")]
    [InlineData("""{"repository":"repo","target":"shop-db","pointInTime":"2026-11-29T10:00:00"}""", 400, "pointInTime '2026-11-29T10:00:00' is not valid")]
    [InlineData("""{"repository":"repo","target":"shop-db","pointInTime":"latest","snapshots":["latest"]}""", 400, "pointInTime is set together with fromSession or snapshots")]
    [InlineData("""{"repository":"repo","target":"shop-db","pointInTime":42}""", 400, "not a valid restore request")]
    [InlineData("""{"repository":"repo","target":"shop-db","configuration":"shop"}""", 400, "configuration is only read by a point-in-time restore")]
    [InlineData("""{"repository":"repo","target":"shop-db","pointInTime":"latest","configuration":"Not_A_Name"}""", 400, "configuration 'Not_A_Name' is not a valid Kubernetes name")]
    [InlineData("""{"repository":"repo","target":"shop-db","pointInTime":"latest","configuration":"gone"}""", 422, "configuration: BackupConfiguration prod/gone does not exist")]
    public async Task A_malformed_point_in_time_restore_is_refused_naming_the_field(string body, int status, string expected)
    {
        var answer = await RestoreAsync(body);

        Assert.True(answer.Status == status, $"{answer.Status} {answer.Message}");
        Assert.Contains(expected, answer.Message);
        Assert.Equal(0, Server.Count("restoresessions"));
    }

    [Fact]
    public async Task A_point_in_time_restore_finds_its_configuration_and_its_job_carries_the_time()
    {
        await ControlPlaneAt(clock).ScheduleTickAsync(CancellationToken.None);
        await ControlPlaneAt(clock).ReconcileAsync(CancellationToken.None);
        await ArchiveSucceededAsync(DateTimeOffset.UtcNow, Report());

        var answer = await RestoreAsync("""{"name":"to-ten","repository":"repo","target":"shop-db","pointInTime":"2026-11-29T10:00:00+01:00","rename":{"shop":"shop_at_ten"}}""");

        Assert.True(answer.Status == 202, $"{answer.Status} {answer.Message}");
        var spec = Server.Get(Crd, "restoresessions", "prod", "to-ten")!["spec"]!;
        Assert.Equal("shop", spec["configuration"]!.GetValue<string>());
        await ControlPlaneAt(clock).ReconcileAsync(CancellationToken.None);
        Assert.Equal(("2026-11-29T10:00:00+01:00", "shop"), (JobEnvValue("to-ten", "RESTORE_POINT_IN_TIME"), JobEnvValue("to-ten", "BACKUP_CONFIGURATION")));
        Assert.Equal(JobFactory.BinlogScratchSize, JobOf("to-ten")!["spec"]!["template"]!["spec"]!["volumes"]![0]!["emptyDir"]!["sizeLimit"]!.GetValue<string>());

        // Two configurations archiving into the repository: the restore must name one.
        Server.Mutate(Crd, "backupconfigurations", "prod", "crm", c => c["spec"]!["pointInTime"]!["enabled"] = true);
        var ambiguous = await RestoreAsync("""{"repository":"repo","target":"shop-db","pointInTime":"latest"}""");
        Assert.Equal(422, ambiguous.Status);
        Assert.Contains("configuration: 2 BackupConfigurations archive into repository repo (crm, shop): name the one whose backups to use", ambiguous.Message);
    }

    [Fact]
    public async Task GetPointInTime_answers_the_window_and_names_a_bad_request()
    {
        await ControlPlaneAt(clock).ScheduleTickAsync(CancellationToken.None);
        await ControlPlaneAt(clock).ReconcileAsync(CancellationToken.None);
        await ArchiveSucceededAsync(DateTimeOffset.UtcNow, Report());
        var api = new PointInTimeApi(new KubernetesGateway(Client), ControlPlaneAt(clock), clock);

        var answer = await api.GetAsync("prod", "shop", CancellationToken.None);

        Assert.Equal(200, answer.Status);
        var view = Assert.IsType<PointInTimeApi.PointInTimeView>(answer.Body);
        Assert.True(view.Enabled);
        Assert.Equal(PointInTimeSpec.DefaultSchedule, view.Schedule);
        Assert.Null(view.Problem);
        Assert.Equal(new DateTimeOffset(2026, 11, 29, 12, 10, 0, TimeSpan.Zero), view.NextArchiveTime);
        Assert.Equal((Dump, LastEvent, 2, 1), (view.Earliest!.Value, view.Latest!.Value, view.Windows.Count, view.Gaps.Count));
        Assert.Equal(404, (await api.GetAsync("prod", "gone", CancellationToken.None)).Status);
        Assert.Equal(400, (await api.GetAsync("prod", "Not A Name", CancellationToken.None)).Status);
        var off = Assert.IsType<PointInTimeApi.PointInTimeView>((await api.GetAsync("prod", "crm", CancellationToken.None)).Body);
        Assert.False(off.Enabled);
        Assert.Null(off.NextArchiveTime);
    }

}
