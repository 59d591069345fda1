namespace Serverless.Backup.Core.Events;

/// <summary>
/// The repository as a run left it: what the control plane writes into Repository.status, so that the HTTP API
/// can list snapshots without running restic.
/// </summary>
public sealed record RepositoryReport
{
    public required long SnapshotCount { get; init; }
    /// <summary>Bytes the repository takes in storage (the sum of its objects, from one listing of the store), when measured.</summary>
    public long? TotalSizeBytes { get; init; }
    /// <summary>Set by a check: true when restic check found no error.</summary>
    public bool? Integrity { get; init; }
    /// <summary>restic check's own words when it found damage.</summary>
    public string? IntegrityMessage { get; init; }
    /// <summary>The newest snapshots (at most <see cref="MaxRecentSnapshots"/>), newest first.</summary>
    public IReadOnlyList<SnapshotSummary> RecentSnapshots { get; init; } = [];

    public const int MaxRecentSnapshots = 50;
}

/// <summary>One snapshot of ours, from its restic tags.</summary>
public sealed record SnapshotSummary
{
    public required string Id { get; init; }
    public required DateTimeOffset Time { get; init; }
    public string? Database { get; init; }
    public string? Session { get; init; }
    public string? Configuration { get; init; }
    public string? Namespace { get; init; }
    /// <summary>Bytes of the SQL stream, where known.</summary>
    public long? Size { get; init; }
}
