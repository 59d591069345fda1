namespace Serverless.Backup.Core.Events;

/// <summary>The outcome of applying a retention policy to one configuration's snapshots.</summary>
public sealed record RetentionResult
{
    /// <summary>One entry per database (restic group) of the configuration.</summary>
    public required IReadOnlyList<RetentionGroupResult> Groups { get; init; }
    public required bool DryRun { get; init; }
    public required bool Pruned { get; init; }
    public int Kept => Groups.Sum(g => g.Kept);
    public int Removed => Groups.Sum(g => g.Removed);
}

/// <summary>The snapshots of one database of a configuration that the policy kept and removed (or would remove, in a dry run).</summary>
public sealed record RetentionGroupResult
{
    public required string Database { get; init; }
    public required int Kept { get; init; }
    public required int Removed { get; init; }
    public IReadOnlyList<string> RemovedSnapshotIds { get; init; } = [];
}
