using Serverless.Backup.Core.Events;

namespace Serverless.Backup.Control;

/// <summary>
/// What a signed event must hold before anything of it is written: the signature proves who sent it, not that its
/// figures are sane. A null list, a null entry, a negative count or a duration that is not a finite number would
/// otherwise fail half-way (a session written and its repository report lost) or put nonsense into status and
/// metrics. Each problem names the field.
/// </summary>
public static class RunnerEventCheck
{
    /// <summary>The longest duration a run may report: longer than any Job deadline.</summary>
    private const double MaxSeconds = 400 * 24 * 3600;

    public static string? Problem(RunnerEvent runnerEvent) => runnerEvent switch
    {
        _ when runnerEvent.Time == default => "time is missing",
        _ when runnerEvent.Sequence < 0 => "sequence is negative",
        StartedEvent started => started.Databases is null || started.Databases.Any(d => d is null) ? "databases must be a list of names" : null,
        ProgressEvent progress => progress.Database is null ? "database is missing"
            : progress.BytesDone < 0 || progress.TotalBytesDone < 0 ? "bytesDone and totalBytesDone must not be negative"
            : Seconds(progress.ElapsedSeconds, "elapsedSeconds"),
        SucceededEvent succeeded => Seconds(succeeded.DurationSeconds, "durationSeconds") ?? Databases(succeeded.Databases) ?? Retention(succeeded.Retention)
            ?? Repository(succeeded.Repository) ?? Verification(succeeded.Verification) ?? PointInTime(succeeded.PointInTime),
        FailedEvent failed => !Enum.IsDefined(failed.Reason) ? $"reason {(int)failed.Reason} is not a failure reason"
            : failed.Message is null ? "message is missing"
            : Repository(failed.Repository) ?? Verification(failed.Verification) ?? PointInTime(failed.PointInTime),
        _ => null,
    };

    private static string? Seconds(double value, string field) =>
        double.IsFinite(value) && value is >= 0 and <= MaxSeconds ? null : $"{field} must be a number of seconds from 0 to {MaxSeconds:0}";

    private static string? Databases(IReadOnlyList<DatabaseResult>? databases)
    {
        if (databases is null || databases.Any(d => d is null))
        {
            return "databases must be a list of results";
        }
        foreach (var d in databases)
        {
            if (d.Database is null || d.SnapshotId is null || d.Sha256 is null)
            {
                return "databases[]: database, snapshotId and sha256 are required";
            }
            if (d.Bytes < 0 || d.DataAdded < 0)
            {
                return $"databases[{d.Database}]: bytes and dataAdded must not be negative";
            }
            if (Seconds(d.DurationSeconds, $"databases[{d.Database}].durationSeconds") is { } problem)
            {
                return problem;
            }
        }
        return null;
    }

    private static string? Retention(RetentionResult? retention) =>
        retention is null ? null
        : retention.Groups is null || retention.Groups.Any(g => g is null || g.Database is null || g.Kept < 0 || g.Removed < 0 || g.RemovedSnapshotIds is null)
            ? "retention.groups must be a list of {database, kept, removed} with counts of 0 or more"
            : null;

    /// <summary>The most databases and checks a verification may report (more than any configuration has).</summary>
    private const int MaxVerified = 1000;

    private static string? Verification(VerificationResult? verification) =>
        verification is null ? null
        : verification.Databases is null || verification.Databases.Count > MaxVerified
            || verification.Databases.Any(d => d is null || d.Database is null || d.SnapshotId is not { Length: >= 8 } || d.Scratch is null || d.BackupSha256 is null || d.RestoredSha256 is null)
            ? $"verification.databases must be a list of at most {MaxVerified} results with database, snapshotId, scratch, backupSha256 and restoredSha256"
        : verification.Checks is null || verification.Checks.Count > MaxVerified || verification.Checks.Any(c => c is null || c.Name is null || c.Message is null)
            ? $"verification.checks must be a list of at most {MaxVerified} results with name and message"
        : null;

    /// <summary>The most windows and gaps a point-in-time report may hold (a gap a day for years).</summary>
    private const int MaxWindows = 5000;

    private static bool IsFileName(string? file) =>
        file is { Length: > 0 and <= 255 } && !file.Any(char.IsControl) && !file.Contains('/') && !file.Contains('\\');

    private static string? PointInTime(PointInTimeReport? report) =>
        report is null ? null
        : report.Windows is null || report.Windows.Count > MaxWindows || report.Windows.Any(w => w is null || w.Start == default || w.End < w.Start)
            ? $"pointInTime.windows must be a list of at most {MaxWindows} windows with start at or before end"
        : report.Gaps is null || report.Gaps.Count > MaxWindows
            || report.Gaps.Any(g => g is null || !IsFileName(g.FirstMissingFile) || !IsFileName(g.LastMissingFile) || g.Message is null || g.Message.Length > 2000)
            ? $"pointInTime.gaps must be a list of at most {MaxWindows} gaps with firstMissingFile, lastMissingFile and message"
        : report.LastArchivedFile is not null && !IsFileName(report.LastArchivedFile) ? "pointInTime.lastArchivedFile must be a file name (no '/', at most 255 characters)"
        : report.ArchivedFiles < 0 || report.ArchivedBytes < 0 ? "pointInTime.archivedFiles and archivedBytes must not be negative"
        : report.Earliest is { } earliest && report.Latest is { } latest && latest < earliest ? "pointInTime.latest must not be before earliest"
        : null;

    private static string? Repository(RepositoryReport? report) =>
        report is null ? null
        : report.SnapshotCount < 0 || report.TotalSizeBytes < 0 ? "repository.snapshotCount and totalSizeBytes must not be negative"
        : report.RecentSnapshots is null || report.RecentSnapshots.Any(s => s is null || s.Id is null || s.Size < 0) ? "repository.recentSnapshots must be a list of snapshots with an id"
        : null;
}
