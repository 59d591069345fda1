using Microsoft.Extensions.Logging;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Logging;
using Serverless.Backup.Runner.Restic;
using Serverless.Backup.Runner.Snapshots;
using Serverless.Backup.Runner.Storage;

namespace Serverless.Backup.Runner.Maintenance;

/// <summary>
/// The repository as a run leaves it, for Repository.status: one `restic snapshots --json --no-lock` (count and
/// the newest snapshots, described by their tags) and one listing of the storage (its size). restic 0.14 records
/// no size in a snapshot, so a snapshot's size is given only for the streams this run wrote. Snapshots that are
/// not confirmed (<see cref="PendingSnapshots"/>) are left out: they may hold a partial dump. Archived binary logs
/// (kind=binlog) are counted but not listed among the recent snapshots.
/// </summary>
public sealed class RepositoryStatus(ResticRepositoryEndpoint endpoint, ResticClient restic, ILogger log)
{
    /// <summary>The confirmed snapshots the last report was made of.</summary>
    public IReadOnlyList<ResticSnapshot> Confirmed { get; private set; } = [];

    /// <param name="knownSizes">Stream bytes by snapshot id (short or full) of the snapshots this run wrote.</param>
    public async Task<RepositoryReport> ReportAsync(
        IReadOnlyDictionary<string, long> knownSizes, bool? integrity, string? integrityMessage, CancellationToken cancellationToken) =>
        await ReportAsync(await restic.SnapshotsAsync(cancellationToken), knownSizes, integrity, integrityMessage, cancellationToken);

    /// <summary>The report from a snapshot list the caller already has (a backup lists it while it streams).</summary>
    public async Task<RepositoryReport> ReportAsync(
        IReadOnlyList<ResticSnapshot> snapshots, IReadOnlyDictionary<string, long> knownSizes, bool? integrity, string? integrityMessage,
        CancellationToken cancellationToken)
    {
        var size = await endpoint.TotalSizeAsync(cancellationToken);
        var pending = await new PendingSnapshots(endpoint.Objects, log).ListAsync(cancellationToken);
        var confirmed = PendingSnapshots.Confirmed(snapshots, pending);
        if (confirmed.Count < snapshots.Count)
        {
            log.Warning($"{snapshots.Count - confirmed.Count} unconfirmed snapshot(s) are not counted ({string.Join(", ", pending)}): their run has not confirmed them (it is still running, or was killed); a later run removes those of killed runs");
        }
        snapshots = confirmed;
        Confirmed = confirmed;
        return new RepositoryReport
        {
            SnapshotCount = snapshots.Count,
            TotalSizeBytes = size,
            Integrity = integrity,
            IntegrityMessage = integrityMessage,
            // Archived binary logs count (they are snapshots) but are not listed: they are no dump to restore, and an
            // archive run every few minutes would push every dump out of the newest 50.
            RecentSnapshots = snapshots
                .Where(s => !PointInTime.BinlogCatalog.IsBinlog(s))
                .OrderByDescending(s => s.Time)
                .Take(RepositoryReport.MaxRecentSnapshots)
                .Select(s => Summary(s, knownSizes))
                .ToList(),
        };
    }

    private static SnapshotSummary Summary(ResticSnapshot snapshot, IReadOnlyDictionary<string, long> knownSizes)
    {
        var shortId = snapshot.ShortId ?? snapshot.Id[..8];
        return new SnapshotSummary
        {
            Id = shortId,
            Time = snapshot.Time,
            Database = snapshot.Database,
            Session = snapshot.Tag(ResticTags.Session),
            Configuration = snapshot.Tag(ResticTags.Configuration),
            Namespace = snapshot.Tag(ResticTags.Namespace),
            Size = knownSizes.TryGetValue(shortId, out var bytes) || knownSizes.TryGetValue(snapshot.Id, out bytes) ? bytes : null,
        };
    }
}
