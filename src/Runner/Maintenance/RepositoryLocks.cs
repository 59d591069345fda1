using Serverless.Backup.Runner.Restic;
using Serverless.Backup.Runner.Storage;

namespace Serverless.Backup.Runner.Maintenance;

/// <summary>
/// Clears locks before a run's work, so that a crashed or killed runner never blocks later work. restic 0.14 calls
/// a lock stale after 30 minutes without refresh, or when its PID is gone on the same host; in Kubernetes every
/// pod is another host, so a killed runner's lock only becomes stale after 30 minutes. The control plane knows
/// whether another session is active on the repository: when none is (REPOSITORY_EXCLUSIVE=true), every lock is
/// removed (`restic unlock --remove-all`); otherwise only stale ones (`restic unlock`), and work that then meets a
/// live lock fails as RepositoryLocked. The locks are listed from the storage first (no password, no key
/// derivation), so a repository without locks costs no restic call.
/// </summary>
public sealed class RepositoryLocks(ResticRepositoryEndpoint endpoint, ResticClient restic, TextWriter log)
{
    public async Task<LockOutcome> ClearAsync(bool exclusive, CancellationToken cancellationToken)
    {
        var found = await endpoint.CountLocksAsync(cancellationToken);
        if (found == 0)
        {
            return new LockOutcome(0, 0, 0);
        }
        string[] arguments = exclusive ? ["unlock", "--remove-all"] : ["unlock"];
        var (code, _, errors) = await restic.RunAsync(arguments, cancellationToken);
        if (code != 0)
        {
            throw restic.Failure("remove the locks of", errors);
        }
        var remaining = await endpoint.CountLocksAsync(cancellationToken);
        var outcome = new LockOutcome(found, Math.Max(0, found - remaining), remaining);
        await log.WriteLineAsync(exclusive
            ? $"removed {outcome.Removed} lock(s) left by earlier runs (REPOSITORY_EXCLUSIVE=true: no other session uses the repository)"
            : $"removed {outcome.Removed} stale lock(s); {remaining} lock(s) of possibly live sessions remain (REPOSITORY_EXCLUSIVE=false)");
        return outcome;
    }
}
