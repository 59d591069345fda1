namespace Serverless.Backup.Core.Events;

/// <summary>What a verify run proved of the newest snapshot of each database, and the checks it ran.</summary>
public sealed record VerificationResult
{
    public required IReadOnlyList<VerifiedDatabase> Databases { get; init; }
    public IReadOnlyList<CheckResult> Checks { get; init; } = [];
}

/// <summary>One database: the snapshot restored, the scratch database it went into, and whether the data is the same.</summary>
public sealed record VerifiedDatabase
{
    public required string Database { get; init; }
    public required string SnapshotId { get; init; }
    /// <summary>The scratch database (dropped at the end of the run).</summary>
    public required string Scratch { get; init; }
    /// <summary>SHA-256 of the snapshot's SQL stream and of the scratch database dumped again, both with the lines that name the database left out.</summary>
    public required string BackupSha256 { get; init; }
    public required string RestoredSha256 { get; init; }
    public bool Equal => BackupSha256 == RestoredSha256;
    /// <summary>Where they differ: the first table (or routine, trigger, view) whose part of the dump is not the same; null when equal.</summary>
    public string? FirstDifference { get; init; }
}

/// <summary>A check of VERIFY_CHECKS: its name, whether it passed, and what it found.</summary>
public sealed record CheckResult(string Name, bool Passed, string Message);
