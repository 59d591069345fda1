using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Serverless.Backup.Runner.Logging;
using Serverless.Backup.Runner.Processes;
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
public sealed class RepositoryLocks(ResticRepositoryEndpoint endpoint, ResticClient restic, ILogger log)
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
        if (!exclusive && remaining > 0)
        {
            remaining -= await RemoveLocksOfEndedProcessesAsync(cancellationToken);
        }
        var outcome = new LockOutcome(found, Math.Max(0, found - remaining), remaining);
        log.Info(exclusive
            ? $"removed {outcome.Removed} lock(s) left by earlier runs (REPOSITORY_EXCLUSIVE=true: no other session uses the repository)"
            : $"removed {outcome.Removed} stale lock(s); {remaining} lock(s) of possibly live sessions remain (REPOSITORY_EXCLUSIVE=false)");
        return outcome;
    }

    /// <summary>
    /// restic calls a lock stale when its process is gone on the same host, but takes a zombie (a killed restic that
    /// nobody has reaped yet, as under a PID 1 that does not reap orphans) for a live process, so its lock would stay
    /// for 30 minutes. A lock of this host whose process has ended, zombie or gone, is removed here. Reading a lock
    /// needs restic (locks are encrypted): one call per lock that survived `restic unlock`, which is rare.
    /// </summary>
    private async Task<int> RemoveLocksOfEndedProcessesAsync(CancellationToken cancellationToken)
    {
        var removed = 0;
        foreach (var name in await endpoint.LockNamesAsync(cancellationToken))
        {
            var (code, output, _) = await restic.RunAsync(["cat", "lock", name, "--no-lock"], cancellationToken);
            if (code != 0 || ResticJson.FirstValue<ResticLock?>(output, null) is not { } holder)
            {
                // Gone meanwhile, or not readable: restic's own rules apply to it.
                continue;
            }
            if (string.Equals(holder.Hostname, System.Environment.MachineName, StringComparison.Ordinal) && holder.Pid > 0
                && ProcessIdentity.StartOf(holder.Pid) is null && await endpoint.Objects.DeleteAsync("locks/" + name, cancellationToken))
            {
                log.Info($"removed the lock {name[..Math.Min(8, name.Length)]} of restic process {holder.Pid} on this host, which has ended without removing it");
                removed++;
            }
        }
        return removed;
    }

    /// <summary>What a restic lock says of its holder.</summary>
    private sealed record ResticLock([property: JsonPropertyName("hostname")] string? Hostname, [property: JsonPropertyName("pid")] int Pid);

    /// <summary>
    /// After a failed or stopped backup, whose restic processes have all ended: the locks they left, once
    /// `restic unlock` has removed the stale ones. restic removes its lock when interrupted, except when the interrupt
    /// lands while it is still taking the lock (restic 0.14), as a SIGTERM in a backup's first second does; a lock
    /// of this host's restic that has exited is stale by restic's own rule (same host, no such process), and a live
    /// session's lock elsewhere is never touched. Costs nothing when the run left no lock.
    /// </summary>
    /// <param name="before">The locks there were when the backup's work began.</param>
    public async Task<IReadOnlyList<string>> ClearOwnAsync(IReadOnlySet<string> before, CancellationToken cancellationToken)
    {
        await endpoint.WaitIdleAsync(cancellationToken);
        var left = endpoint.LocksOfThisRun(await endpoint.LockNamesAsync(cancellationToken), before);
        if (left.Count == 0)
        {
            return left;
        }
        var (code, _, errors) = await restic.RunAsync(["unlock"], cancellationToken);
        if (code != 0)
        {
            throw restic.Failure("remove the locks of", errors);
        }
        left = endpoint.LocksOfThisRun(await endpoint.LockNamesAsync(cancellationToken), before);
        if (left.Count == 0)
        {
            log.Info("removed the lock this run's restic left behind");
        }
        else
        {
            log.Warning($"the lock(s) {string.Join(", ", left.Select(l => l[..Math.Min(8, l.Length)]))} taken during this run remain after restic unlock");
        }
        return left;
    }
}
