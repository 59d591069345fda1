using Serverless.Backup.Core.Events;

namespace Serverless.Backup.Runner;

/// <summary>A run failed for a reason the user can act on; the message says what and how to fix it.</summary>
public sealed class RunnerFailure(FailureReason reason, string message, string? database = null, Exception? inner = null)
    : Exception(message, inner)
{
    public FailureReason Reason { get; } = reason;
    public string? Database { get; } = database;

    /// <summary>The repository as far as the run could tell (a check that found damage), else null.</summary>
    public RepositoryReport? Repository { get; init; }

    /// <summary>What a verify run found before it failed, else null.</summary>
    public VerificationResult? Verification { get; init; }

    /// <summary>What an archive run had stored before it failed, or the windows a refused point-in-time restore could use, else null.</summary>
    public PointInTimeReport? PointInTime { get; init; }
}
