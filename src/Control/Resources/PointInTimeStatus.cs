namespace Serverless.Backup.Control.Resources;

/// <summary>
/// BackupConfiguration.status.pointInTime: what the archived binary logs allow a restore to reach. Written by
/// point-in-time recovery; absent on a configuration without it (its gauges are then not set).
/// </summary>
public sealed record PointInTimeStatus
{
    /// <summary>The earliest second a restore can reach.</summary>
    public DateTimeOffset? Earliest { get; init; }
    /// <summary>The latest second a restore can reach: the last event of the last archived binary log.</summary>
    public DateTimeOffset? Latest { get; init; }
    public string? LastArchivedFile { get; init; }
    /// <summary>Gaps in the archived binary logs (each splits the recoverable window).</summary>
    public int? Gaps { get; init; }
    /// <summary>The recoverable windows, oldest first.</summary>
    public List<RecoveryWindow>? Windows { get; init; }
}

/// <summary>A span of time every second of which a restore can reach.</summary>
public sealed record RecoveryWindow
{
    public DateTimeOffset? Start { get; init; }
    public DateTimeOffset? End { get; init; }
}
