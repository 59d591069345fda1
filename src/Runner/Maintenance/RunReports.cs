using Microsoft.Extensions.Logging;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Restic;
using Serverless.Backup.Runner.Storage;

namespace Serverless.Backup.Runner.Maintenance;

/// <summary>The repository report a run's final event carries; failing to describe the repository is a warning, never a failed run.</summary>
public sealed class RunReports(ResticRepositoryEndpoint endpoint, ResticClient restic, ILogger log)
{
    private IReadOnlyList<ResticSnapshot>? _confirmed;

    /// <summary>Short ids of archived logs that retention removed after this run's listing (left out of the report).</summary>
    public IReadOnlyCollection<string> RemovedBinlogs { get; init; } = [];

    /// <summary>
    /// The configuration's point-in-time recovery from the confirmed snapshots the repository report was made of
    /// (no restic call of its own); null, with a warning, when that report could not be made.
    /// </summary>
    public PointInTimeReport? PointInTime(SessionSettings session, List<string> warnings)
    {
        if (_confirmed is null)
        {
            warnings.Add("the point-in-time recovery window could not be computed (the repository's snapshots could not be read); the next archive run reports it");
            return null;
        }
        var report = Runner.PointInTime.ArchiveRun.Report(_confirmed, session);
        warnings.AddRange(report.Gaps.Select(g => g.Message));
        return report;
    }

    /// <summary>
    /// The report after a good backup: the snapshots listed while it ran, plus the ones it wrote, less the ones
    /// retention removed. Should the early listing have failed, the repository is listed again now.
    /// </summary>
    public async Task<RepositoryReport?> AfterBackupAsync(
        Task<IReadOnlyList<ResticSnapshot>> before, SessionSettings session, IReadOnlyList<DatabaseResult> results,
        RetentionResult? retention, List<string> warnings, CancellationToken stop,
        IReadOnlyDictionary<string, Runner.PointInTime.BinlogPosition>? positions = null)
    {
        var sizes = results.ToDictionary(r => r.SnapshotId, r => r.Bytes);
        IReadOnlyList<ResticSnapshot> listed;
        try
        {
            listed = await before;
        }
        catch (Exception e) when (e is RunnerFailure or IOException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return await AfterSuccessAsync(sizes, warnings, stop);
        }
        static string Short(string id) => id[..Math.Min(8, id.Length)];
        var removed = retention is { DryRun: false } ? retention.Groups.SelectMany(g => g.RemovedSnapshotIds).Concat(RemovedBinlogs).ToHashSet(StringComparer.Ordinal) : [];
        // The listing ran beside the backup and may already hold some of this run's snapshots (with restic's own
        // time): those are taken as listed, the others are described from the run.
        var seen = listed.Select(s => s.ShortId ?? Short(s.Id)).ToHashSet(StringComparer.Ordinal);
        var now = DateTimeOffset.UtcNow;
        IReadOnlyList<ResticSnapshot> snapshots =
        [
            .. listed.Where(s => !removed.Contains(s.ShortId ?? Short(s.Id))),
            .. results.Where(r => !removed.Contains(Short(r.SnapshotId)) && !seen.Contains(Short(r.SnapshotId))).Select(r => new ResticSnapshot
            {
                Id = r.SnapshotId,
                // restic stamps a snapshot when its backup starts.
                Time = session.SnapshotTimeUtc ?? now - TimeSpan.FromSeconds(r.DurationSeconds),
                Paths = ["/" + ResticTags.FileName(r.Database)],
                Tags = positions is not null && positions.TryGetValue(r.SnapshotId, out var position)
                    ? [.. ResticTags.OfRun(session, r.Database), .. Runner.PointInTime.BinlogCatalog.TagsOf(position)]
                    : ResticTags.OfRun(session, r.Database),
            }),
        ];
        try
        {
            var status = new RepositoryStatus(endpoint, restic, log);
            var report = await status.ReportAsync(snapshots, sizes, integrity: null, integrityMessage: null, stop);
            _confirmed = status.Confirmed;
            return report;
        }
        catch (Exception e)
        {
            warnings.Add($"the repository's size could not be read for its status ({e.Message})");
            return null;
        }
    }

    /// <summary>The repository report of a run whose work succeeded.</summary>
    public async Task<RepositoryReport?> AfterSuccessAsync(
        IReadOnlyDictionary<string, long> knownSizes, List<string> warnings, CancellationToken stop,
        bool? integrity = null, string? integrityMessage = null)
    {
        if (stop.IsCancellationRequested)
        {
            return null;
        }
        try
        {
            var status = new RepositoryStatus(endpoint, restic, log);
            var report = await status.ReportAsync(knownSizes, integrity, integrityMessage, stop);
            _confirmed = status.Confirmed;
            return report;
        }
        catch (Exception e)
        {
            // The work succeeded; a repository that cannot be described now is a warning, never a failed run.
            warnings.Add($"the repository's snapshots and size could not be read for its status ({e.Message})");
            return null;
        }
    }
}
