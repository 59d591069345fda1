namespace Serverless.Backup.Core.Resources;

/// <summary>The status of a BackupSession or RestoreSession, written by the reconciler and the webhook.</summary>
public sealed record SessionStatus
{
    public string? Phase { get; init; }
    /// <summary>Why the session is Skipped, Failed or Invalid; names the field or the failure.</summary>
    public string? Reason { get; init; }
    public string? Message { get; init; }
    public string? JobName { get; init; }
    public DateTimeOffset? StartTime { get; init; }
    public DateTimeOffset? CompletionTime { get; init; }
    public string? SessionDuration { get; init; }
    public DateTimeOffset? SessionDeadline { get; init; }
    /// <summary>The time of the last accepted webhook event: an event not newer than this is a replay.</summary>
    public DateTimeOffset? LastEventTime { get; init; }
    public long? TotalBytes { get; init; }
    public IReadOnlyList<SnapshotStats>? Snapshots { get; init; }
}

/// <summary>One database of a finished run.</summary>
public sealed record SnapshotStats
{
    public string Database { get; init; } = "";
    public string SnapshotId { get; init; } = "";
    public long Bytes { get; init; }
    public string Sha256 { get; init; } = "";
    public long DataAdded { get; init; }
    public double DurationSeconds { get; init; }
    public string? RestoredInto { get; init; }
}
