namespace Serverless.Backup.Control.Resources;

/// <summary>
/// spec.pointInTime of a BackupConfiguration: with <see cref="Enabled"/>, every backup records where each dump
/// stands in the server's binary log, and on <see cref="Schedule"/> (default every 5 minutes) a MaintenanceSession
/// with task archive stores the binary logs closed since the last run. A RestoreSession with spec.pointInTime then
/// restores any second of the recoverable window (status.pointInTime).
/// </summary>
public sealed record PointInTimeSpec
{
    public const string DefaultSchedule = "*/5 * * * *";

    public bool Enabled { get; init; }
    /// <summary>Standard 5-field cron in the configuration's time zone; every minute at most (the cron's finest step).</summary>
    public string? Schedule { get; init; }
    /// <summary>An archive session's deadline, a Go-style duration (default: the app's runner timeout).</summary>
    public string? TimeOut { get; init; }
}

/// <summary>status.pointInTime of a BackupConfiguration: what can be restored to, as the last run that knew it reported.</summary>
public sealed record PointInTimeStatus
{
    /// <summary>The earliest second that can be restored to.</summary>
    public DateTimeOffset? Earliest { get; init; }
    /// <summary>The latest second that can be restored to (the last event of the last archived log).</summary>
    public DateTimeOffset? Latest { get; init; }
    public string? LastArchivedFile { get; init; }
    /// <summary>When the last archive run ended (successfully).</summary>
    public DateTimeOffset? LastArchiveTime { get; init; }
    public string? LastArchiveSession { get; init; }
    /// <summary>The spans of time that can be restored to, oldest first; gaps split them.</summary>
    public List<PointInTimeWindow>? Windows { get; init; }
    /// <summary>Missing binary logs, oldest first: nothing inside a gap can be restored to.</summary>
    public List<PointInTimeGap>? Gaps { get; init; }
    /// <summary>When this report was written (the run's time).</summary>
    public DateTimeOffset? ReportTime { get; init; }
    /// <summary>Why the last archive run failed (binary logging off, a privilege missing…), or null after a success.</summary>
    public string? LastError { get; init; }
}

public sealed record PointInTimeWindow
{
    public DateTimeOffset Start { get; init; }
    public DateTimeOffset End { get; init; }
}

public sealed record PointInTimeGap
{
    public string? FirstMissingFile { get; init; }
    public string? LastMissingFile { get; init; }
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }
    public string? Message { get; init; }
}
