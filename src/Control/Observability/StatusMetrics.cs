using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Schedules;
using Names = Serverless.Backup.Core.Metrics.MetricNames;

namespace Serverless.Backup.Control.Observability;

/// <summary>One value of a status gauge with its label values (in the order of <see cref="StatusMetric.Labels"/>).</summary>
public readonly record struct StatusSample(double Value, string[] Labels);

/// <summary>
/// A gauge computed from resource status: its name (from <see cref="Names"/>), help, labels and how to read its
/// samples from the resources as listed. <see cref="ControlPlaneMetrics"/> serves each one to Prometheus and
/// reports it to OpenTelemetry (Azure Monitor's AppMetrics) from this one definition.
/// </summary>
public sealed record StatusMetric(string Name, string Help, IReadOnlyList<string> Labels, Func<StatusView, IEnumerable<StatusSample>> Read);

/// <summary>The resources of one scrape with what the gauges share: the app's default time zone, now, and lookups.</summary>
public sealed class StatusView(StatusSnapshot snapshot, string? defaultTimeZone, DateTimeOffset now)
{
    private readonly Dictionary<(string, string), bool> _invalid = [];
    private readonly Dictionary<(string, string), BackupSession> _lastSucceeded = (snapshot.Backups ?? [])
        .Where(s => s.Status?.Phase == SessionPhase.Succeeded && SessionAccess.ConfigurationOf(s) is not null)
        .GroupBy(s => (s.Namespace, SessionAccess.ConfigurationOf(s)!))
        .ToDictionary(g => g.Key, g => g.OrderByDescending(s => s.Status!.CompletionTime).ThenByDescending(s => s.Name, StringComparer.Ordinal).First());

    public StatusSnapshot Snapshot { get; } = snapshot;
    public string? DefaultTimeZone { get; } = defaultTimeZone;
    public DateTimeOffset Now { get; } = now;

    /// <summary>
    /// Whether the configuration itself is invalid (its backups do not run). A wrong optional part
    /// (spec.verification, spec.pointInTime) stops only that part: its own gauge checks it.
    /// </summary>
    public bool IsInvalid(BackupConfiguration configuration)
    {
        var key = (configuration.Namespace, configuration.Name);
        if (!_invalid.TryGetValue(key, out var invalid))
        {
            invalid = _invalid[key] = ControlPlane.ProblemOf(configuration, DefaultTimeZone, out _) is not null;
        }
        return invalid;
    }

    /// <summary>The configuration's newest successful BackupSession among those listed, or null.</summary>
    public BackupSession? LastSucceeded(BackupConfiguration configuration) => _lastSucceeded.GetValueOrDefault((configuration.Namespace, configuration.Name));
}

/// <summary>
/// Every status-derived gauge, defined once. A new gauge is one entry here (its name in MetricNames): it is then on
/// /api/metrics, in Azure Monitor, and may be queried by the alert rules, the dashboard and the workbook (tests check
/// that they name only metrics defined here or in MetricNames).
/// </summary>
public static class StatusMetrics
{
    private static readonly string[] ConfigurationLabels = [Names.Labels.Namespace, Names.Labels.Configuration];
    private static readonly string[] RepositoryLabels = [Names.Labels.Namespace, Names.Labels.Repository];

    public static IReadOnlyList<StatusMetric> All { get; } =
    [
        new(Names.Sessions, "Sessions by namespace, kind and phase (from resource status).",
            [Names.Labels.Namespace, Names.Labels.Kind, Names.Labels.Phase],
            view => view.Snapshot.Sessions.GroupBy(s => (s.Namespace, s.Kind, Phase: s.Phase ?? SessionPhase.Pending))
                .Select(g => new StatusSample(g.Count(), [g.Key.Namespace, g.Key.Kind, g.Key.Phase]))),
        Configuration(Names.ConfigurationLastSuccessTimestampSeconds,
            "Unix time of the configuration's last successful backup (BackupConfiguration.status.lastSuccessTime).",
            (c, _) => Seconds(c.Status?.LastSuccessTime)),
        Configuration(Names.ConfigurationScheduleIntervalSeconds,
            "Seconds between two slots of the configuration's schedule (not set while paused or invalid).",
            (c, view) => !view.IsInvalid(c) && !c.Spec.Paused && BackupSchedule.TryParse(c.Spec.Schedule, c.Spec.TimeZone ?? view.DefaultTimeZone, out var schedule, out _)
                ? schedule!.Interval(view.Now).TotalSeconds
                : null),
        Configuration(Names.ConfigurationLastSessionFailed, "1 when the configuration's last session failed, else 0.",
            (c, _) => c.Status?.LastSessionPhase == SessionPhase.Failed ? 1 : 0),
        Configuration(Names.ConfigurationLastBackupDurationSeconds,
            "Seconds the configuration's newest successful backup took (its BackupSession's status, while the session is kept).",
            (c, view) => view.LastSucceeded(c)?.Status is { } st
                ? GoDuration.TryParse(st.SessionDuration, out var took) ? took.TotalSeconds
                : st is { StartTime: { } start, CompletionTime: { } end } ? (end - start).TotalSeconds : null
                : null),
        Configuration(Names.ConfigurationLastBackupBytes,
            "Bytes the configuration's newest successful backup dumped over all its databases (its BackupSession's status, while the session is kept).",
            (c, view) => view.LastSucceeded(c)?.Status?.Stats is { Count: > 0 } stats ? stats.Sum(s => s.Bytes) : null),
        Configuration(Names.ConfigurationLastVerificationTimestampSeconds,
            "Unix time of the configuration's last finished verification, whatever its result (BackupConfiguration.status.lastVerification.time).",
            (c, _) => Seconds(c.Status?.LastVerification?.Time)),
        Configuration(Names.ConfigurationLastVerificationSucceeded,
            "1 when the configuration's last verification restored the newest backup to the same data and passed its checks, 0 when it failed.",
            (c, _) => c.Status?.LastVerification is { Time: not null } last ? (last.Result == SessionPhase.Succeeded ? 1 : 0) : null),
        Configuration(Names.ConfigurationVerificationIntervalSeconds,
            "Seconds between two slots of the configuration's verification schedule (not set while paused, invalid or without spec.verification).",
            (c, view) => !view.IsInvalid(c) && c.Spec.Verification is { Paused: false } verification && ControlPlane.FeatureProblemsOf(c).Verification is null
                && BackupSchedule.TryParse(verification.Schedule ?? VerificationSpec.DefaultSchedule, c.Spec.TimeZone ?? view.DefaultTimeZone, out var schedule, out _)
                ? schedule!.Interval(view.Now).TotalSeconds
                : null),
        // Point-in-time recovery (spec.pointInTime and status.pointInTime; absent while it is off).
        Configuration(Names.ConfigurationPointInTimeEarliestTimestampSeconds,
            "Unix time of the earliest second the configuration can be restored to from its archived binary logs (status.pointInTime.earliest).",
            (c, _) => Seconds(c.Status?.PointInTime?.Earliest)),
        Configuration(Names.ConfigurationPointInTimeLatestTimestampSeconds,
            "Unix time of the latest second the configuration can be restored to: the end of its recoverable window (status.pointInTime.latest).",
            (c, _) => Seconds(c.Status?.PointInTime?.Latest)),
        Configuration(Names.ConfigurationPointInTimeArchiveIntervalSeconds,
            "Seconds between two slots of the configuration's binary-log archive schedule (not set while point-in-time recovery is off or invalid, or the configuration is invalid).",
            (c, view) => !view.IsInvalid(c) && c.Spec.PointInTime is { Enabled: true } pointInTime && ControlPlane.FeatureProblemsOf(c).PointInTime is null
                && BackupSchedule.TryParse(pointInTime.Schedule ?? PointInTimeSpec.DefaultSchedule, c.Spec.TimeZone ?? view.DefaultTimeZone, out var schedule, out _)
                ? schedule!.Interval(view.Now).TotalSeconds
                : null),
        Configuration(Names.ConfigurationPointInTimeGaps,
            "Gaps in the configuration's archived binary logs: each splits the recoverable window (status.pointInTime.gaps).",
            (c, _) => c.Status?.PointInTime is { } pitr ? pitr.Gaps?.Count ?? 0 : null),
        new(Names.InvalidResources, "1 for each resource that cannot be read or is invalid; it is skipped until fixed (its status and the app's log say which field).",
            [Names.Labels.Namespace, Names.Labels.Kind, Names.Labels.Name],
            view => (view.Snapshot.Invalid ?? []).DistinctBy(i => (i.Namespace, i.Kind, i.Name)).Select(i => new StatusSample(1, [i.Namespace, i.Kind, i.Name]))),
        Repository(Names.RepositoryIntegrity, "1 when the repository's last check passed, 0 when it found damage (Repository.status.integrity).",
            r => r.Status?.Integrity is { } integrity ? (integrity ? 1 : 0) : null),
        Repository(Names.RepositorySnapshots, "Snapshots in the repository (Repository.status.snapshotCount).", r => r.Status?.SnapshotCount),
        Repository(Names.RepositorySizeBytes, "Bytes the repository takes in storage (Repository.status.totalSizeBytes).", r => r.Status?.TotalSizeBytes),
    ];

    /// <summary>A gauge per BackupConfiguration (labels namespace, configuration); no sample where the reader gives null.</summary>
    public static StatusMetric Configuration(string name, string help, Func<BackupConfiguration, StatusView, double?> read) =>
        new(name, help, ConfigurationLabels, view => view.Snapshot.Configurations
            .Select(c => (c, Value: read(c, view)))
            .Where(x => x.Value is not null)
            .Select(x => new StatusSample(x.Value!.Value, [x.c.Namespace, x.c.Name])));

    /// <summary>A gauge per Repository (labels namespace, repository); no sample where the reader gives null.</summary>
    public static StatusMetric Repository(string name, string help, Func<Repository, double?> read) =>
        new(name, help, RepositoryLabels, view => view.Snapshot.Repositories
            .Select(r => (r, Value: read(r)))
            .Where(x => x.Value is not null)
            .Select(x => new StatusSample(x.Value!.Value, [x.r.Namespace, x.r.Name])));

    private static double? Seconds(DateTimeOffset? time) => time is { } t ? t.ToUnixTimeMilliseconds() / 1000.0 : null;
}
