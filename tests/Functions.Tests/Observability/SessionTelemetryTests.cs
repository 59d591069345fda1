using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Serverless.Backup.Control;
using Serverless.Backup.Control.Cluster;
using Serverless.Backup.Control.Endpoints;
using Serverless.Backup.Control.Observability;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Settings;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Core.Metrics;
using Serverless.Backup.Core.Webhook;
using Serverless.Backup.Functions.Tests.Fakes;
using Dim = Serverless.Backup.Control.Observability.SessionTelemetry.Dimensions;

namespace Serverless.Backup.Functions.Tests.Observability;

/// <summary>
/// The control plane's telemetry as the Azure Monitor exporter receives it, read in process through OpenTelemetry's
/// in-memory exporter (no network), registered as the hosts register it (<see cref="TelemetryServices"/>): each
/// session's events with their documented names and dimensions, under the operation that created the session, and
/// the status gauges under their metric names; never a secret.
/// </summary>
public sealed class SessionTelemetryTests : ApiServerTest, IAsyncLifetime
{
    private const string DatabasePassword = "db-password-9f8e7d6c5b4a";
    private const string ResticPassword = "restic-password-0a1b2c3d4e";
    private readonly List<LogRecord> _records = [];
    private readonly List<MetricSnapshot> _metrics = [];
    private readonly string _meterName = "Serverless.Backup.Control.Tests." + Guid.NewGuid().ToString("N");
    private ServiceProvider _services = null!;
    private ControlApi _api = null!;

    protected override Task SeedAsync()
    {
        Seed<Repository>("repositories", """
            apiVersion: backup.serverless.dev/v1alpha1
            kind: Repository
            metadata: { name: repo, namespace: prod }
            spec: { backend: { storageSecretName: repo-secret, local: { mountPath: /backups } } }
            """);
        SeedAppBinding();
        Seed<BackupConfiguration>("backupconfigurations", """
            apiVersion: backup.serverless.dev/v1alpha1
            kind: BackupConfiguration
            metadata: { name: shop, namespace: prod }
            spec:
              schedule: "* * * * *"
              repository: { name: repo }
              target: { ref: { apiVersion: appcatalog.appscode.com/v1alpha1, kind: AppBinding, name: shop-db } }
              backupHistoryLimit: 3
            """);
        // Secrets the control plane may read but must never report.
        Server.Seed("api/v1", "secrets", new System.Text.Json.Nodes.JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "Secret",
            ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["name"] = "shop-db-auth", ["namespace"] = "prod" },
            ["stringData"] = new System.Text.Json.Nodes.JsonObject { ["username"] = "backup", ["password"] = DatabasePassword },
        });
        Server.Seed("api/v1", "secrets", new System.Text.Json.Nodes.JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "Secret",
            ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["name"] = "repo-secret", ["namespace"] = "prod" },
            ["stringData"] = new System.Text.Json.Nodes.JsonObject { ["RESTIC_PASSWORD"] = ResticPassword },
        });

        var configuration = new ConfigurationBuilder().Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddBackupTelemetry(configuration, TelemetryHost.FunctionsWorker, telemetry =>
        {
            telemetry.WithLogging(logging => logging.AddInMemoryExporter(_records));
            telemetry.WithMetrics(metrics => metrics.AddMeter(_meterName).AddInMemoryExporter(_metrics));
        });
        _services = services.BuildServiceProvider();
        _ = _services.GetRequiredService<MeterProvider>();
        var settings = new AppSettings
        {
            Cluster = ClusterMode.Kubeconfig, WebhookMasterKey = MasterKey, WebhookBaseUrl = "https://app.example.net", RunnerImage = "runner:test",
        };
        _api = new ControlApi(settings, new KubernetesGateway(Client), TimeProvider.System, new ControlPlaneMetrics(_meterName), _services.GetRequiredService<ILoggerFactory>());
        return Task.CompletedTask;
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await _services.DisposeAsync();
        await DisposeAsync();
    }

    [Fact]
    public async Task A_backup_that_succeeds_is_created_started_and_ended_under_the_operation_of_the_tick_that_created_it()
    {
        var operation = await UnderOperationAsync(() => _api.RunTimerAsync(FunctionNames.ScheduleTick, CancellationToken.None));
        var reconcile = await UnderOperationAsync(() => _api.RunTimerAsync(FunctionNames.Reconcile, CancellationToken.None));
        var session = Assert.Single(Events(SessionTelemetry.Events.Created)).Attributes[Dim.Session];
        var now = DateTimeOffset.UtcNow;
        var webhook = await UnderOperationAsync(async () =>
        {
            await DeliverAsync("BackupSession", session, new StartedEvent { Verb = "backup", Namespace = "prod", Session = session, Time = now, Sequence = 1, Databases = ["shop"] });
            await DeliverAsync("BackupSession", session, new SucceededEvent
            {
                Verb = "backup", Namespace = "prod", Session = session, Time = now, Sequence = 2, DurationSeconds = 42.5,
                Databases = [new DatabaseResult { Database = "shop", SnapshotId = "89abcdef01234567", Bytes = 2048, Sha256 = new string('b', 64), DataAdded = 512, DurationSeconds = 40 }],
            });
        });
        await UnderOperationAsync(() => _api.RunTimerAsync(FunctionNames.Reconcile, CancellationToken.None));

        var created = Assert.Single(Events(SessionTelemetry.Events.Created));
        var started = Assert.Single(Events(SessionTelemetry.Events.Started));
        var ended = Assert.Single(Events(SessionTelemetry.Events.Ended));
        foreach (var e in new[] { created, started, ended })
        {
            Assert.Equal(SessionTelemetry.Category, e.Category);
            Assert.Equal(operation, e.TraceId);
            Assert.Equal("BackupSession", e.Attributes[Dim.Kind]);
            Assert.Equal("prod", e.Attributes[Dim.Namespace]);
            Assert.Equal("shop", e.Attributes[Dim.Configuration]);
            Assert.Equal("repo", e.Attributes[Dim.Repository]);
            Assert.Equal(session, e.Attributes[Dim.Session]);
            Assert.Equal("scheduled", e.Attributes[Dim.Trigger]);
        }
        Assert.Equal(SessionPhase.Pending, created.Attributes[Dim.Phase]);
        // Each later event names the invocation that emitted it, the Reconcile run and the webhook request.
        Assert.DoesNotContain(Dim.InvocationOperationId, created.Attributes.Keys);
        Assert.Equal(reconcile, started.Attributes[Dim.InvocationOperationId]);
        Assert.Equal(webhook, ended.Attributes[Dim.InvocationOperationId]);
        Assert.Equal(SessionPhase.Running, started.Attributes[Dim.Phase]);
        Assert.StartsWith(session, started.Attributes[Dim.Job]);
        Assert.Equal(SessionPhase.Succeeded, ended.Attributes[Dim.Phase]);
        Assert.Equal("42.5", ended.Attributes[Dim.DurationSeconds]);
        Assert.Equal("2048", ended.Attributes[Dim.Bytes]);
        Assert.Equal("512", ended.Attributes[Dim.AddedBytes]);
        Assert.Equal("shop", ended.Attributes[Dim.Databases]);
        Assert.Equal("89abcdef01234567", ended.Attributes[Dim.SnapshotIds]);
        Assert.DoesNotContain(Dim.Reason, ended.Attributes.Keys);

        var gauges = Gauges();
        var labels = new Dictionary<string, string> { ["namespace"] = "prod", ["configuration"] = "shop" };
        Assert.Equal(now.ToUnixTimeMilliseconds() / 1000.0, Gauge(gauges, MetricNames.ConfigurationLastSuccessTimestampSeconds, labels), 3);
        Assert.Equal(60, Gauge(gauges, MetricNames.ConfigurationScheduleIntervalSeconds, labels));
        Assert.Equal(0, Gauge(gauges, MetricNames.ConfigurationLastSessionFailed, labels));
        Assert.Equal(42.5, Gauge(gauges, MetricNames.ConfigurationLastBackupDurationSeconds, labels));
        Assert.Equal(2048, Gauge(gauges, MetricNames.ConfigurationLastBackupBytes, labels));
        Assert.Equal(1, Gauge(gauges, MetricNames.Sessions, new() { ["namespace"] = "prod", ["kind"] = "BackupSession", ["phase"] = SessionPhase.Succeeded }));
        AssertDocumentedAndSecretFree(gauges);
    }

    [Fact]
    public async Task A_backup_that_fails_ends_failed_with_its_reason_and_the_fix_its_message_names()
    {
        var operation = await UnderOperationAsync(() => _api.RunTimerAsync(FunctionNames.ScheduleTick, CancellationToken.None));
        await UnderOperationAsync(() => _api.RunTimerAsync(FunctionNames.Reconcile, CancellationToken.None));
        var session = Assert.Single(Events(SessionTelemetry.Events.Created)).Attributes[Dim.Session];
        var fix = "GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON `shop`.* TO 'backup'@'%'";
        await UnderOperationAsync(() => DeliverAsync("BackupSession", session, new FailedEvent
        {
            Verb = "backup", Namespace = "prod", Session = session, Time = DateTimeOffset.UtcNow, Sequence = 1,
            Reason = FailureReason.InsufficientPrivileges, Database = "shop", Message = $"the user may not read every table: run {fix}",
        }));
        await UnderOperationAsync(() => _api.RunTimerAsync(FunctionNames.Reconcile, CancellationToken.None));

        var ended = Assert.Single(Events(SessionTelemetry.Events.Ended));
        Assert.Equal(operation, ended.TraceId);
        Assert.Equal(SessionPhase.Failed, ended.Attributes[Dim.Phase]);
        Assert.Equal(nameof(FailureReason.InsufficientPrivileges), ended.Attributes[Dim.Reason]);
        Assert.Contains(fix, ended.Attributes[Dim.Message]);
        Assert.DoesNotContain(Dim.SnapshotIds, ended.Attributes.Keys);

        var gauges = Gauges();
        Assert.Equal(1, Gauge(gauges, MetricNames.ConfigurationLastSessionFailed, new() { ["namespace"] = "prod", ["configuration"] = "shop" }));
        Assert.DoesNotContain(gauges, g => g.Name == MetricNames.ConfigurationLastSuccessTimestampSeconds && g.Labels.GetValueOrDefault("configuration") == "shop");
        AssertDocumentedAndSecretFree(gauges);
    }

    [Fact]
    public async Task A_backup_whose_job_fails_without_a_report_is_ended_by_reconcile_with_the_jobs_reason_under_the_creating_operation()
    {
        var operation = await UnderOperationAsync(() => _api.RunTimerAsync(FunctionNames.ScheduleTick, CancellationToken.None));
        await UnderOperationAsync(() => _api.RunTimerAsync(FunctionNames.Reconcile, CancellationToken.None));
        var job = Assert.Single(Events(SessionTelemetry.Events.Started)).Attributes[Dim.Job];
        Server.Mutate("apis/batch/v1", "jobs", "prod", job, j => j["status"] = new System.Text.Json.Nodes.JsonObject
        {
            ["failed"] = 1,
            ["conditions"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["type"] = "Failed", ["status"] = "True", ["reason"] = "BackoffLimitExceeded", ["message"] = "Job has reached the specified backoff limit" }),
        });
        var settling = await UnderOperationAsync(() => _api.RunTimerAsync(FunctionNames.Reconcile, CancellationToken.None));

        var ended = Assert.Single(Events(SessionTelemetry.Events.Ended));
        Assert.Equal(operation, ended.TraceId);
        Assert.Equal(settling, ended.Attributes[Dim.InvocationOperationId]);
        Assert.Equal(SessionPhase.Failed, ended.Attributes[Dim.Phase]);
        Assert.Equal("BackoffLimitExceeded", ended.Attributes[Dim.Reason]);
        Assert.Contains("backoff limit", ended.Attributes[Dim.Message]);
        AssertDocumentedAndSecretFree(Gauges());
    }

    [Fact]
    public async Task A_restore_is_created_by_its_request_and_ends_with_the_bytes_and_snapshots_it_restored()
    {
        var body = Encoding.UTF8.GetBytes("""{"name": "restore-shop", "repository": "repo", "target": "shop-db", "snapshots": ["89abcdef01234567"]}""");
        ApiResult created = null!;
        var operation = await UnderOperationAsync(async () => created = await _api.InvokeAsync(FunctionNames.CreateRestore,
            new ApiRequest(new Dictionary<string, string?> { ["namespace"] = "prod" }, _ => null, _ => null, body), CancellationToken.None));
        Assert.Equal(202, created.Status);
        await UnderOperationAsync(() => _api.RunTimerAsync(FunctionNames.Reconcile, CancellationToken.None));
        await UnderOperationAsync(() => DeliverAsync("RestoreSession", "restore-shop", new SucceededEvent
        {
            Verb = "restore", Namespace = "prod", Session = "restore-shop", Time = DateTimeOffset.UtcNow, Sequence = 1, DurationSeconds = 7,
            Databases = [new DatabaseResult { Database = "shop", SnapshotId = "89abcdef01234567", Bytes = 4096, Sha256 = new string('c', 64), DurationSeconds = 6, RestoredInto = "shop_copy" }],
        }));

        var events = new[] { SessionTelemetry.Events.Created, SessionTelemetry.Events.Started, SessionTelemetry.Events.Ended }.Select(n => Assert.Single(Events(n))).ToList();
        Assert.All(events, e =>
        {
            Assert.Equal(operation, e.TraceId);
            Assert.Equal("RestoreSession", e.Attributes[Dim.Kind]);
            Assert.Equal("repo", e.Attributes[Dim.Repository]);
            Assert.Equal("manual", e.Attributes[Dim.Trigger]);
            Assert.DoesNotContain(Dim.Configuration, e.Attributes.Keys);
        });
        var ended = events[2];
        Assert.Equal(SessionPhase.Succeeded, ended.Attributes[Dim.Phase]);
        Assert.Equal("7", ended.Attributes[Dim.DurationSeconds]);
        Assert.Equal("4096", ended.Attributes[Dim.Bytes]);
        Assert.Equal("89abcdef01234567", ended.Attributes[Dim.SnapshotIds]);
        AssertDocumentedAndSecretFree(Gauges());
    }

    [Fact]
    public void Without_a_connection_string_or_an_exporter_nothing_is_registered_and_the_events_reach_no_log_provider()
    {
        var services = new ServiceCollection();
        services.AddBackupTelemetry(new ConfigurationBuilder().Build(), TelemetryHost.Standalone);
        using var provider = services.BuildServiceProvider();

        Assert.Null(provider.GetService<MeterProvider>());
        Assert.False(provider.GetRequiredService<ILoggerFactory>().CreateLogger(SessionTelemetry.Category).IsEnabled(LogLevel.Critical));
    }

    [Fact]
    public async Task On_the_standalone_server_a_timer_run_is_its_own_operation_with_its_log_and_the_sessions_it_creates()
    {
        var records = new List<LogRecord>();
        var activities = new List<Activity>();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddBackupTelemetry(new ConfigurationBuilder().Build(), TelemetryHost.Standalone, telemetry =>
        {
            telemetry.WithLogging(logging => logging.AddInMemoryExporter(records));
            telemetry.WithTracing(tracing => tracing.AddInMemoryExporter(activities));
        });
        await using var provider = services.BuildServiceProvider();
        _ = provider.GetRequiredService<OpenTelemetry.Trace.TracerProvider>();
        var settings = new AppSettings { Cluster = ClusterMode.Kubeconfig, WebhookMasterKey = MasterKey, WebhookBaseUrl = "https://app.example.net", RunnerImage = "runner:test" };
        var api = new ControlApi(settings, new KubernetesGateway(Client), TimeProvider.System, new ControlPlaneMetrics(_meterName), provider.GetRequiredService<ILoggerFactory>());
        var previous = Activity.Current;
        Activity.Current = null;
        try
        {
            await api.RunTimerAsync(FunctionNames.ScheduleTick, CancellationToken.None);
        }
        finally
        {
            Activity.Current = previous;
        }

        var created = Assert.Single(records, r => r.CategoryName == SessionTelemetry.Category && r.Attributes!.Any(a => a.Value as string == SessionTelemetry.Events.Created));
        var run = Assert.Single(activities, a => a.TraceId == created.TraceId);
        Assert.Equal(FunctionNames.ScheduleTick, run.DisplayName);
        Assert.Equal(ActivityKind.Server, run.Kind);
        // The server's own log goes with it (the worker's goes through its Application Insights package instead).
        Assert.Contains(records, r => r.CategoryName == typeof(ControlPlane).FullName && r.TraceId == created.TraceId);
    }

    private sealed record Captured(string Name, string? Category, string TraceId, string Message, Dictionary<string, string> Attributes);

    private sealed record GaugeValue(string Name, Dictionary<string, string> Labels, double Value);

    private List<Captured> Captures() => [.. _records.Select(r => new Captured(
        r.Attributes?.FirstOrDefault(a => a.Key == SessionTelemetry.CustomEventAttribute).Value as string ?? "",
        r.CategoryName, r.TraceId.ToHexString(), r.FormattedMessage ?? "",
        (r.Attributes ?? []).Where(a => a.Key != SessionTelemetry.CustomEventAttribute)
            .ToDictionary(a => a.Key, a => Convert.ToString(a.Value, CultureInfo.InvariantCulture) ?? "")))];

    private List<Captured> Events(string name) => [.. Captures().Where(c => c.Name == name)];

    /// <summary>The status gauges as last exported, of this test's app only.</summary>
    private List<GaugeValue> Gauges()
    {
        _services.GetRequiredService<MeterProvider>().ForceFlush();
        var latest = new Dictionary<(string, string), GaugeValue>();
        foreach (var metric in _metrics.Where(m => m.MeterName == _meterName))
        {
            foreach (var point in metric.MetricPoints)
            {
                var labels = new Dictionary<string, string>();
                foreach (var tag in point.Tags)
                {
                    labels[tag.Key] = Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? "";
                }
                latest[(metric.Name, string.Join(",", labels.OrderBy(l => l.Key).Select(l => $"{l.Key}={l.Value}")))] = new GaugeValue(metric.Name, labels, point.GetGaugeLastValueDouble());
            }
        }
        return [.. latest.Values];
    }

    private static double Gauge(List<GaugeValue> gauges, string name, Dictionary<string, string> labels) =>
        Assert.Single(gauges, g => g.Name == name && labels.All(l => g.Labels.GetValueOrDefault(l.Key) == l.Value)).Value;

    /// <summary>Every event and dimension and every gauge has a documented name; no secret is in any of it.</summary>
    private void AssertDocumentedAndSecretFree(List<GaugeValue> gauges)
    {
        var captures = Captures().Where(c => c.Category == SessionTelemetry.Category).ToList();
        Assert.NotEmpty(captures);
        Assert.All(captures, c => Assert.Contains(c.Name, SessionTelemetry.Events.All));
        Assert.All(captures.SelectMany(c => c.Attributes.Keys), k => Assert.Contains(k, SessionTelemetry.Dimensions.All));
        Assert.NotEmpty(gauges);
        Assert.All(gauges, g => Assert.Contains(g.Name, StatusMetrics.All.Select(m => m.Name)));
        Assert.All(gauges, g => Assert.Equal(StatusMetrics.All.Single(m => m.Name == g.Name).Labels.Order(), g.Labels.Keys.Order()));
        var everything = JsonSerializer.Serialize(new { captures, gauges, all = Captures() });
        foreach (var secret in new[] { MasterKey, DatabasePassword, ResticPassword })
        {
            Assert.DoesNotContain(secret, everything, StringComparison.Ordinal);
        }
    }

    /// <summary>Runs <paramref name="action"/> under a new operation, as the host runs an invocation; returns its trace id.</summary>
    private static async Task<string> UnderOperationAsync(Func<Task> action)
    {
        var previous = Activity.Current;
        using var activity = new Activity("invocation").SetIdFormat(ActivityIdFormat.W3C).Start();
        try
        {
            await action();
            return activity.TraceId.ToHexString();
        }
        finally
        {
            activity.Stop();
            Activity.Current = previous;
        }
    }

    private async Task DeliverAsync(string kind, string name, RunnerEvent runnerEvent)
    {
        var plural = kind == "RestoreSession" ? "restoresessions" : "backupsessions";
        var uid = Server.Get(Crd, plural, "prod", name)?["metadata"]?["uid"]?.GetValue<string>() ?? "";
        var token = WebhookSignature.DeriveToken(MasterKey, new SessionIdentity("prod", kind, name, uid));
        var body = Encoding.UTF8.GetBytes(RunnerJson.Serialize(runnerEvent));
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var headers = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            [WebhookSignature.SessionHeader] = $"prod/{kind}/{name}",
            [WebhookSignature.TimestampHeader] = timestamp.ToString(CultureInfo.InvariantCulture),
            [WebhookSignature.SignatureHeader] = WebhookSignature.Sign(token, timestamp, body),
        };
        var result = await _api.InvokeAsync(FunctionNames.SessionEvents, new ApiRequest(new Dictionary<string, string?>(), _ => null, h => headers.GetValueOrDefault(h), body), CancellationToken.None);
        Assert.True(result.Status == 200, $"{result.Status}: {JsonSerializer.Serialize(result.Body)}");
        // The session's own token is a secret too.
        Assert.DoesNotContain(token, JsonSerializer.Serialize(Captures()), StringComparison.Ordinal);
    }
}
