using Prometheus;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Schedules;
using Names = Serverless.Backup.Core.Metrics.MetricNames;

namespace Serverless.Backup.Control.Observability;

/// <summary>
/// The metrics GET /api/metrics serves, in a registry of this app instance (tests run several apps in one
/// process). Counters and durations are counted as things happen; sessions by phase and the per-configuration
/// freshness are set from resource status just before each scrape (<see cref="SetFromStatus"/>), so they are
/// right after a restart and on every instance.
/// </summary>
public sealed class ControlPlaneMetrics
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly Lock _scrape = new();
    private readonly Counter _webhookEvents;
    private readonly Histogram _tickDuration;
    private readonly Histogram _reconcileDuration;
    private readonly Counter _apiServerErrors;
    private readonly StatusGauge _sessions;
    private readonly StatusGauge _lastSuccess;
    private readonly StatusGauge _interval;
    private readonly StatusGauge _lastFailed;
    private readonly StatusGauge _lastVerification;
    private readonly StatusGauge _verificationSucceeded;
    private readonly StatusGauge _verificationInterval;
    private readonly StatusGauge _integrity;
    private readonly StatusGauge _snapshots;
    private readonly StatusGauge _size;
    private readonly StatusGauge _invalid;

    public ControlPlaneMetrics()
    {
        var factory = Metrics.WithCustomRegistry(_registry);
        string[] configuration = [Names.Labels.Namespace, Names.Labels.Configuration];
        string[] repository = [Names.Labels.Namespace, Names.Labels.Repository];
        _webhookEvents = factory.CreateCounter(Names.WebhookEventsTotal, "Runner webhook requests, by result (accepted, rejected) and reason.", Names.Labels.Result, Names.Labels.Reason);
        _tickDuration = factory.CreateHistogram(Names.TickDurationSeconds, "Duration of a schedule timer run (ScheduleTick, MaintenanceTick).", new HistogramConfiguration { LabelNames = [Names.Labels.Function] });
        _reconcileDuration = factory.CreateHistogram(Names.ReconcileDurationSeconds, "Duration of a Reconcile run.");
        _apiServerErrors = factory.CreateCounter(Names.ApiServerErrorsTotal, "Kubernetes API server calls that failed other than the expected 404 and 409, by status code (0: no answer).", Names.Labels.Code);
        _sessions = new(factory.CreateGauge(Names.Sessions, "Sessions by namespace, kind and phase (from resource status).", Names.Labels.Namespace, Names.Labels.Kind, Names.Labels.Phase));
        _lastSuccess = new(factory.CreateGauge(Names.ConfigurationLastSuccessTimestampSeconds, "Unix time of the configuration's last successful backup (BackupConfiguration.status.lastSuccessTime).", configuration));
        _interval = new(factory.CreateGauge(Names.ConfigurationScheduleIntervalSeconds, "Seconds between two slots of the configuration's schedule (not set while paused or invalid).", configuration));
        _lastFailed = new(factory.CreateGauge(Names.ConfigurationLastSessionFailed, "1 when the configuration's last session failed, else 0.", configuration));
        _lastVerification = new(factory.CreateGauge(Names.ConfigurationLastVerificationTimestampSeconds, "Unix time of the configuration's last finished verification, whatever its result (BackupConfiguration.status.lastVerification.time).", configuration));
        _verificationSucceeded = new(factory.CreateGauge(Names.ConfigurationLastVerificationSucceeded, "1 when the configuration's last verification restored the newest backup to the same data and passed its checks, 0 when it failed.", configuration));
        _verificationInterval = new(factory.CreateGauge(Names.ConfigurationVerificationIntervalSeconds, "Seconds between two slots of the configuration's verification schedule (not set while paused, invalid or without spec.verification).", configuration));
        _integrity = new(factory.CreateGauge(Names.RepositoryIntegrity, "1 when the repository's last check passed, 0 when it found damage (Repository.status.integrity).", repository));
        _snapshots = new(factory.CreateGauge(Names.RepositorySnapshots, "Snapshots in the repository (Repository.status.snapshotCount).", repository));
        _size = new(factory.CreateGauge(Names.RepositorySizeBytes, "Bytes the repository takes in storage (Repository.status.totalSizeBytes).", repository));
        _invalid = new(factory.CreateGauge(Names.InvalidResources, "1 for each resource that cannot be read or is invalid; it is skipped until fixed (its status and the app's log say which field).", Names.Labels.Namespace, Names.Labels.Kind, Names.Labels.Name));
    }

    public void WebhookEvent(bool accepted, string reason) => _webhookEvents.WithLabels(accepted ? "accepted" : "rejected", reason).Inc();

    public IDisposable TimeTick(string function) => _tickDuration.WithLabels(function).NewTimer();

    public IDisposable TimeReconcile() => _reconcileDuration.NewTimer();

    public void ApiServerError(int statusCode) => _apiServerErrors.WithLabels(statusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();

    /// <summary>Sets the status-derived series from the resources as listed now; series of deleted resources go away.</summary>
    public void SetFromStatus(StatusSnapshot snapshot, string? defaultTimeZone, DateTimeOffset now)
    {
        lock (_scrape)
        {
            foreach (var gauge in new[] { _sessions, _lastSuccess, _interval, _lastFailed, _lastVerification, _verificationSucceeded, _verificationInterval, _integrity, _snapshots, _size, _invalid })
            {
                gauge.Begin();
            }
            foreach (var group in snapshot.Sessions.GroupBy(s => (s.Namespace, s.Kind, Phase: s.Phase ?? SessionPhase.Pending)))
            {
                _sessions.Set(group.Count(), group.Key.Namespace, group.Key.Kind, group.Key.Phase);
            }
            foreach (var configuration in snapshot.Configurations)
            {
                string[] labels = [configuration.Namespace, configuration.Name];
                var status = configuration.Status;
                if (status?.LastSuccessTime is { } success)
                {
                    _lastSuccess.Set(success.ToUnixTimeMilliseconds() / 1000.0, labels);
                }
                var invalid = snapshot.Invalid?.Any(i => i.Kind == configuration.Kind && i.Namespace == configuration.Namespace && i.Name == configuration.Name) == true;
                if (!invalid && !configuration.Spec.Paused && BackupSchedule.TryParse(configuration.Spec.Schedule, configuration.Spec.TimeZone ?? defaultTimeZone, out var schedule, out _))
                {
                    _interval.Set(schedule!.Interval(now).TotalSeconds, labels);
                }
                _lastFailed.Set(status?.LastSessionPhase == SessionPhase.Failed ? 1 : 0, labels);
                if (status?.LastVerification is { Time: { } verified } last)
                {
                    _lastVerification.Set(verified.ToUnixTimeMilliseconds() / 1000.0, labels);
                    _verificationSucceeded.Set(last.Result == SessionPhase.Succeeded ? 1 : 0, labels);
                }
                if (!invalid && configuration.Spec.Verification is { Paused: false } verification
                    && BackupSchedule.TryParse(verification.Schedule ?? VerificationSpec.DefaultSchedule, configuration.Spec.TimeZone ?? defaultTimeZone, out var verifySchedule, out _))
                {
                    _verificationInterval.Set(verifySchedule!.Interval(now).TotalSeconds, labels);
                }
            }
            foreach (var invalid in (snapshot.Invalid ?? []).DistinctBy(i => (i.Namespace, i.Kind, i.Name)))
            {
                _invalid.Set(1, invalid.Namespace, invalid.Kind, invalid.Name);
            }
            foreach (var repository in snapshot.Repositories)
            {
                string[] labels = [repository.Namespace, repository.Name];
                if (repository.Status?.Integrity is { } integrity)
                {
                    _integrity.Set(integrity ? 1 : 0, labels);
                }
                if (repository.Status?.SnapshotCount is { } count)
                {
                    _snapshots.Set(count, labels);
                }
                if (repository.Status?.TotalSizeBytes is { } size)
                {
                    _size.Set(size, labels);
                }
            }
            foreach (var gauge in new[] { _sessions, _lastSuccess, _interval, _lastFailed, _lastVerification, _verificationSucceeded, _verificationInterval, _integrity, _snapshots, _size, _invalid })
            {
                gauge.End();
            }
        }
    }

    /// <summary>Every metric in the Prometheus text format.</summary>
    public Task ExportAsync(Stream output, CancellationToken cancellationToken) => _registry.CollectAndExportAsTextAsync(output, cancellationToken);

    /// <summary>A gauge whose label sets are replaced as a whole on each scrape: sets not seen again are removed.</summary>
    private sealed class StatusGauge(Gauge gauge)
    {
        private HashSet<string[]> _previous = new(LabelComparer.Instance);
        private HashSet<string[]> _current = new(LabelComparer.Instance);

        public void Begin() => _current = new(LabelComparer.Instance);

        public void Set(double value, params string[] labels)
        {
            gauge.WithLabels(labels).Set(value);
            _current.Add(labels);
        }

        public void End()
        {
            foreach (var gone in _previous.Where(p => !_current.Contains(p)))
            {
                gauge.RemoveLabelled(gone);
            }
            _previous = _current;
        }
    }

    private sealed class LabelComparer : IEqualityComparer<string[]>
    {
        public static readonly LabelComparer Instance = new();

        public bool Equals(string[]? x, string[]? y) => x is not null && y is not null && x.SequenceEqual(y);

        public int GetHashCode(string[] obj) => obj.Aggregate(17, (h, s) => (h * 31) + StringComparer.Ordinal.GetHashCode(s));
    }
}
