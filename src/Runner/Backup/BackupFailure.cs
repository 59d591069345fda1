using Microsoft.Extensions.Logging;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Logging;
using Serverless.Backup.Runner.Maintenance;
using Serverless.Backup.Runner.Restic;
using Serverless.Backup.Runner.Storage;

namespace Serverless.Backup.Runner.Backup;

/// <summary>
/// The last word on a backup that failed or was stopped once its streams had begun: the lock its restic may have
/// left is handled, and the final message says what is true of it, and why the run ended.
/// </summary>
public static class BackupFailure
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Handles restic's lock and returns the failure to report instead of <paramref name="failure"/>, or null when
    /// that failure says it all.
    /// </summary>
    /// <param name="stopped">The run's work was cancelled (SIGTERM or SIGINT, unless the storage watchdog did it).</param>
    public static async Task<RunnerFailure?> ExplainAsync(
        Exception failure, ResticRepositoryEndpoint endpoint, ResticClient restic, IReadOnlySet<string> locksBefore, bool stopped, ILogger log)
    {
        var database = (failure as RunnerFailure)?.Database;
        var dump = database is null ? "the dump" : $"the dump of '{database}'";
        if (endpoint.Health?.Unreachable is { } unreachable)
        {
            // Nothing can be removed from a store that does not answer: say so rather than wait for it again.
            return new RunnerFailure(FailureReason.StorageUnreachable,
                $"{unreachable}; {dump} was interrupted and no snapshot of it counts; a lock restic held stays in the storage until a later run removes it (stale once this runner has ended, or at once with REPOSITORY_EXCLUSIVE=true)",
                database, failure);
        }
        var locks = await HandleLocksAsync(endpoint, restic, locksBefore, log);
        return stopped
            ? new RunnerFailure(FailureReason.Cancelled, $"the runner was stopped (SIGTERM) while backing up: {dump} was interrupted and no snapshot of it counts; {locks}", database, failure)
            : null;
    }

    /// <summary>Removes the lock this run's restic left (best effort) and says what is true of it.</summary>
    private static async Task<string> HandleLocksAsync(ResticRepositoryEndpoint endpoint, ResticClient restic, IReadOnlySet<string> before, ILogger log)
    {
        using var timeout = new CancellationTokenSource(LockTimeout);
        try
        {
            var left = await new RepositoryLocks(endpoint, restic, log).ClearOwnAsync(before, timeout.Token);
            return left.Count == 0
                ? "this run left no lock in the repository"
                : $"the lock {string.Join(", ", left.Select(l => l[..Math.Min(8, l.Length)]))} taken during this run is still in the repository (restic unlock did not take it for stale): the next run with REPOSITORY_EXCLUSIVE=true removes it, and restic calls it stale after 30 minutes";
        }
        catch (Exception e)
        {
            // Best effort: whatever the storage or restic says here, the backup's own failure is the one reported.
            var why = e.Message.Split('\n')[0];
            log.Warning($"could not check for a lock left by this run's restic ({why})");
            return $"whether restic left its lock could not be checked ({why}): a later run removes it once it is stale";
        }
    }
}
