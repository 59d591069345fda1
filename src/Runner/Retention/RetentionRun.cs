using System.Globalization;
using Microsoft.Extensions.Logging;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Logging;
using Serverless.Backup.Runner.Restic;
using Serverless.Backup.Runner.Snapshots;

namespace Serverless.Backup.Runner.Retention;

/// <summary>
/// Applies a configuration's retention policy with one `restic forget`. Only the configuration's own snapshots
/// are candidates (its host, namespace.configuration, and its config= and namespace= tags), grouped by host and
/// path, which is one group per database: a policy never touches another configuration's snapshots in a shared
/// repository, and keepLast 3 keeps three snapshots of each database. restic forget would count an unconfirmed
/// snapshot (<see cref="PendingSnapshots"/>) as one to keep and remove a good one for it, so the policy waits while
/// the configuration has one.
/// </summary>
public sealed class RetentionRun(SessionSettings session, RetentionSettings policy, ResticClient restic, PendingSnapshots pending, ILogger log)
{
    public string Host => HostOf(session);

    private static string HostOf(SessionSettings session) => $"{session.Namespace}.{session.Configuration ?? "adhoc"}";

    /// <summary>restic's arguments for the policy (keep rules of 0 are left out: restic treats them as unset too).</summary>
    public static IReadOnlyList<string> Arguments(SessionSettings session, RetentionSettings policy)
    {
        var arguments = new List<string>
        {
            "forget", "--json", "-q", "--host", HostOf(session),
            "--tag", $"{ResticTags.Of(ResticTags.Configuration, session.Configuration ?? "adhoc")},{ResticTags.Of(ResticTags.Namespace, session.Namespace)}",
            "--group-by", "host,paths",
        };
        (string Option, int? Value)[] keeps =
        [
            ("--keep-last", policy.KeepLast), ("--keep-hourly", policy.KeepHourly), ("--keep-daily", policy.KeepDaily),
            ("--keep-weekly", policy.KeepWeekly), ("--keep-monthly", policy.KeepMonthly), ("--keep-yearly", policy.KeepYearly),
        ];
        foreach (var (option, value) in keeps.Where(k => k.Value > 0))
        {
            arguments.Add(option);
            arguments.Add(value!.Value.ToString(CultureInfo.InvariantCulture));
        }
        foreach (var tag in policy.KeepTags)
        {
            arguments.Add("--keep-tag");
            arguments.Add(tag);
        }
        if (policy.DryRun)
        {
            arguments.Add("--dry-run");
        }
        else if (policy.Prune)
        {
            arguments.Add("--prune");
        }
        return arguments;
    }

    public async Task<RetentionResult> ApplyAsync(CancellationToken cancellationToken)
    {
        await RefuseWhileUnconfirmedAsync(cancellationToken);
        var (code, output, errors) = await restic.RunAsync(Arguments(session, policy), cancellationToken);
        if (code != 0)
        {
            throw restic.Failure("apply the retention policy (restic forget) to", errors);
        }
        var groups = ResticJson.FirstValue<List<ResticForgetGroup>>(output, []);
        var result = new RetentionResult
        {
            DryRun = policy.DryRun,
            Pruned = policy.Prune && !policy.DryRun,
            Groups = groups
                .Select(g => new RetentionGroupResult
                {
                    Database = (g.Keep ?? []).Concat(g.Remove ?? []).Select(s => s.Database).FirstOrDefault(d => d is not null)
                        ?? g.Paths?.Select(ResticTags.DatabaseOfPath).FirstOrDefault(d => d is not null) ?? "",
                    Kept = g.Keep?.Count ?? 0,
                    Removed = g.Remove?.Count ?? 0,
                    RemovedSnapshotIds = (g.Remove ?? []).Select(s => s.ShortId ?? s.Id[..8]).ToList(),
                })
                .OrderBy(g => g.Database, StringComparer.Ordinal)
                .ToList(),
        };
        foreach (var group in result.Groups)
        {
            log.Info(
                $"retention of {Host} '{group.Database}': kept {group.Kept}, {(policy.DryRun ? "would remove" : "removed")} {group.Removed}"
                + (group.Removed > 0 ? $" ({string.Join(", ", group.RemovedSnapshotIds)})" : ""));
        }
        return result;
    }

    /// <summary>Fails while a snapshot of this configuration is unconfirmed (its run may be live, or was killed).</summary>
    private async Task RefuseWhileUnconfirmedAsync(CancellationToken cancellationToken)
    {
        var configuration = session.Configuration ?? "adhoc";
        var ours = (await pending.ListAsync(cancellationToken))
            .Where(p => p.Namespace == session.Namespace && p.Configuration == configuration)
            .ToList();
        if (ours.Count == 0)
        {
            return;
        }
        // A stream still being written has no snapshot yet: only snapshots that exist are in the way.
        var unconfirmed = (await restic.SnapshotsAsync(cancellationToken)).Where(s => ours.Any(p => p.Covers(s))).ToList();
        if (unconfirmed.Count > 0)
        {
            throw new RunnerFailure(FailureReason.RepositoryLocked,
                $"the retention policy of {Host} was not applied: snapshot(s) {string.Join(", ", unconfirmed.Select(s => s.ShortId ?? s.Id))} ({string.Join(", ", ours)}) are not confirmed by their run, which is still running or was killed, and restic forget would count them; with REPOSITORY_EXCLUSIVE=false only those of ended runners on this host are removed: run again once no other session uses the repository (REPOSITORY_EXCLUSIVE=true removes them)");
        }
    }
}
