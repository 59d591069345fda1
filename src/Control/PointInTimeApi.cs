using Serverless.Backup.Core;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Control.Cluster;
using Serverless.Backup.Control.Resources;

namespace Serverless.Backup.Control;

/// <summary>GET a configuration's point-in-time recovery, and the checks a point-in-time restore passes before a session exists.</summary>
public sealed class PointInTimeApi(IClusterGateway cluster, ControlPlane control, TimeProvider clock)
{
    /// <summary>What GetPointInTime answers: the spec, its validity and status.pointInTime.</summary>
    public sealed record PointInTimeView(
        string Namespace, string Configuration, bool Enabled, string Schedule, string? Problem, DateTimeOffset? NextArchiveTime,
        DateTimeOffset? Earliest, DateTimeOffset? Latest, string? LastArchivedFile, DateTimeOffset? LastArchiveTime, string? LastArchiveSession,
        string? LastError, IReadOnlyList<PointInTimeWindow> Windows, IReadOnlyList<PointInTimeGap> Gaps);

    public async Task<ApiResult> GetAsync(string ns, string name, CancellationToken cancellationToken)
    {
        if (!Names.IsDnsLabel(ns) || !Names.IsDnsSubdomain(name))
        {
            return ApiResult.Error(400, $"'{ns}/{name}' is not a valid namespace/name: use lower-case letters, digits and '-'");
        }
        var configuration = await cluster.GetAsync<BackupConfiguration>(ns, name, cancellationToken);
        if (configuration is null)
        {
            return ApiResult.Error(404, $"BackupConfiguration {ns}/{name} does not exist");
        }
        var spec = configuration.Spec.PointInTime;
        var status = configuration.Status?.PointInTime;
        var problem = ControlPlane.ProblemOf(configuration, null, out _) ?? ControlPlane.FeatureProblemsOf(configuration).PointInTime;
        var next = configuration.Spec.Paused ? null : control.ArchiveScheduleOf(configuration)?.Next(clock.GetUtcNow());
        return new ApiResult(200, new PointInTimeView(
            ns, name, spec?.Enabled ?? false, spec?.Schedule ?? PointInTimeSpec.DefaultSchedule, problem, next,
            status?.Earliest, status?.Latest, status?.LastArchivedFile, status?.LastArchiveTime, status?.LastArchiveSession, status?.LastError,
            [.. (status?.Windows ?? []).OfType<PointInTimeWindow>()], [.. (status?.Gaps ?? []).OfType<PointInTimeGap>()]));
    }

    /// <summary>How far in the future a requested time may lie (clock skew between the client and the app).</summary>
    public static readonly TimeSpan FutureSkew = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Why a point-in-time restore of <paramref name="configuration"/> to <paramref name="pointInTime"/> cannot work,
    /// judged by its status.pointInTime (the runner judges again from the repository before writing), or null.
    /// </summary>
    public static string? Refusal(BackupConfiguration configuration, string pointInTime, DateTimeOffset now)
    {
        var status = configuration.Status?.PointInTime;
        // status is a resource's field like any other: a hand-written null entry or unsorted list must not fail the request.
        var windows = (status?.Windows ?? []).OfType<PointInTimeWindow>().OrderBy(w => w.Start).ToList();
        var gaps = (status?.Gaps ?? []).OfType<PointInTimeGap>().ToList();
        var name = $"BackupConfiguration {configuration.Namespace}/{configuration.Name}";
        if (windows.Count == 0)
        {
            return $"pointInTime: {name} has no recoverable window yet (status.pointInTime): it needs a full backup taken with spec.pointInTime.enabled and an archive run after it"
                + (status?.LastError is { } error ? $"; the last archive run failed: {error}" : "");
        }
        if (pointInTime == "latest")
        {
            return null;
        }
        var time = RestoreSettings.ParsePointInTime(pointInTime);
        if (time is null)
        {
            return $"pointInTime '{pointInTime}' is not valid: use an RFC 3339 time with an offset such as 2026-11-29T12:30:00Z, or 'latest'";
        }
        var described = Describe(windows);
        if (time > now + FutureSkew)
        {
            return $"pointInTime {time:yyyy-MM-ddTHH:mm:ssZ} is in the future: choose a time in {described}, or 'latest'";
        }
        if (windows.Any(w => w.Start <= time && time <= w.End))
        {
            return null;
        }
        if (gaps.FirstOrDefault(g => g.From <= time && time <= g.To) is { } gap)
        {
            return $"pointInTime {time:yyyy-MM-ddTHH:mm:ssZ} falls in a gap of the archived binary logs ({gap.Message}): choose a time in {described}";
        }
        if (time < windows[0].Start)
        {
            return $"pointInTime {time:yyyy-MM-ddTHH:mm:ssZ} is before the first full backup with a recorded position: choose a time in {described}";
        }
        if (time > windows[^1].End)
        {
            return $"pointInTime {time:yyyy-MM-ddTHH:mm:ssZ} is after the last archived event ({windows[^1].End:yyyy-MM-ddTHH:mm:ssZ}): choose a time in {described}, 'latest', or wait for the next archive run";
        }
        return $"pointInTime {time:yyyy-MM-ddTHH:mm:ssZ} is between two recoverable windows: choose a time in {described}";
    }

    private static string Describe(IReadOnlyList<PointInTimeWindow> windows) =>
        (windows.Count == 1 ? "the recoverable window " : "one of the recoverable windows ")
        + string.Join(", ", windows.Take(20).Select(w => $"{w.Start:yyyy-MM-ddTHH:mm:ssZ} to {w.End:yyyy-MM-ddTHH:mm:ssZ}"))
        + (windows.Count > 20 ? $" (and {windows.Count - 20} more)" : "");
}
