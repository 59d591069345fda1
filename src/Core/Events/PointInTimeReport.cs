namespace Serverless.Backup.Core.Events;

/// <summary>
/// A configuration's point-in-time recovery: what can be restored to which second, from its full dumps with a
/// recorded binary-log position and its archived binary logs. The control plane writes it into
/// BackupConfiguration.status.pointInTime.
/// </summary>
public sealed record PointInTimeReport
{
    /// <summary>The earliest second any window starts at (the oldest dump with a position), else null.</summary>
    public DateTimeOffset? Earliest { get; init; }
    /// <summary>The latest second any window ends at (the last event of the last archived log after a dump), else null.</summary>
    public DateTimeOffset? Latest { get; init; }
    /// <summary>The newest archived binary-log file, such as mysql-bin.000042.</summary>
    public string? LastArchivedFile { get; init; }
    /// <summary>The spans of time that can be restored to, oldest first; a gap splits them.</summary>
    public IReadOnlyList<RecoveryWindow> Windows { get; init; } = [];
    /// <summary>Missing binary logs (purged from the server before they were archived, or lost), oldest first.</summary>
    public IReadOnlyList<BinlogGap> Gaps { get; init; } = [];
    /// <summary>Binary-log files this run stored (archive).</summary>
    public int ArchivedFiles { get; init; }
    /// <summary>Bytes of binary log this run stored, before deduplication (archive).</summary>
    public long ArchivedBytes { get; init; }
    /// <summary>The second a point-in-time restore brought its databases to (restore only).</summary>
    public DateTimeOffset? RestoredTo { get; init; }
}

/// <summary>A span of time every database of the configuration can be restored to, both ends included.</summary>
public sealed record RecoveryWindow(DateTimeOffset Start, DateTimeOffset End);

/// <summary>Binary logs that are missing between two that exist: nothing between <see cref="From"/> and <see cref="To"/> can be restored to.</summary>
public sealed record BinlogGap
{
    /// <summary>The first missing file, such as mysql-bin.000007.</summary>
    public required string FirstMissingFile { get; init; }
    /// <summary>The last missing file.</summary>
    public required string LastMissingFile { get; init; }
    /// <summary>The last event before the gap (of the archived log before it), when known.</summary>
    public DateTimeOffset? From { get; init; }
    /// <summary>The first event after the gap (of the archived log after it, or the dump after it), when known.</summary>
    public DateTimeOffset? To { get; init; }
    /// <summary>Why, in words: purged from the server before it was archived, or missing from the repository.</summary>
    public required string Message { get; init; }
}
