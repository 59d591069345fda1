using System.Globalization;
using Microsoft.Extensions.Logging;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Logging;
using Serverless.Backup.Runner.PointInTime;
using Serverless.Backup.Runner.Restic;
using Serverless.Backup.Runner.Snapshots;

namespace Serverless.Backup.Runner.Retention;

/// <summary>
/// Applies a configuration's retention policy with one `restic forget`. Only the configuration's own snapshots
/// are candidates (its host, namespace.configuration, and its config= and namespace= tags), grouped by host and
/// path, which is one group per database: a policy never touches another configuration's snapshots in a shared
/// repository, and keepLast 3 keeps three snapshots of each database. restic forget would count an unconfirmed
/// snapshot (<see cref="PendingSnapshots"/>) as one to keep and remove a good one for it, so the policy waits while
/// the configuration has one. Archived binary logs (kind=binlog) are never counted by the policy; once it has run,
/// the logs no kept dump needs are forgotten too (<see cref="Unneeded"/>).
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
        // Archived binary logs are not dumps: the policy never counts them (a policy of tags only would remove
        // them); the logs no kept dump needs go afterwards (ForgetUnneededBinlogsAsync).
        arguments.Add("--keep-tag");
        arguments.Add(ResticTags.Of(BinlogCatalog.Kind, BinlogCatalog.KindBinlog));
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
        var all = ResticJson.FirstValue<List<ResticForgetGroup>>(output, []);
        bool IsBinlogGroup(ResticForgetGroup g) =>
            (g.Keep ?? []).Concat(g.Remove ?? []).Any(BinlogCatalog.IsBinlog)
            || (g.Paths ?? []).Any(p => p.StartsWith("/" + BinlogCatalog.Folder + "/", StringComparison.Ordinal));
        var groups = all.Where(g => !IsBinlogGroup(g)).ToList();
        await ForgetUnneededBinlogsAsync(
            groups.SelectMany(g => g.Keep ?? []).ToList(),
            all.Where(IsBinlogGroup).SelectMany(g => g.Keep ?? []).Where(BinlogCatalog.IsBinlog).ToList(),
            cancellationToken);
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

    /// <summary>Short ids of the archived binary logs this run removed (a dry run: would remove).</summary>
    public IReadOnlyList<string> RemovedBinlogs { get; private set; } = [];

    /// <summary>
    /// The archived binary logs of the configuration that no kept dump needs: for each server id and base name,
    /// those older than the file of the oldest kept dump with a recorded position (replay starts there), and those
    /// of a server or base name no kept dump was taken on, while some kept dump has a position. With no kept dump
    /// that has a position, every log stays (nothing tells which are needed).
    /// </summary>
    public static IReadOnlyList<ArchivedBinlog> Unneeded(IReadOnlyList<ResticSnapshot> keptDumps, IReadOnlyList<ArchivedBinlog> logs)
    {
        var positions = keptDumps.Select(BinlogCatalog.PositionOf).OfType<BinlogPosition>().ToList();
        if (positions.Count == 0)
        {
            return [];
        }
        var oldest = positions
            .GroupBy(p => (p.ServerId, BinlogFileName.Parse(p.File)!.BaseName))
            .ToDictionary(g => g.Key, g => g.Min(p => BinlogFileName.Parse(p.File)!.Sequence));
        return logs
            .Where(l => BinlogFileName.Parse(l.File) is { } name
                && (!oldest.TryGetValue((l.ServerId, name.BaseName), out var first) || name.Sequence < first))
            .ToList();
    }

    private async Task ForgetUnneededBinlogsAsync(IReadOnlyList<ResticSnapshot> keptDumps, IReadOnlyList<ResticSnapshot> binlogs, CancellationToken cancellationToken)
    {
        var logs = binlogs.Select(BinlogCatalog.ArchivedOf).OfType<ArchivedBinlog>().ToList();
        var unneeded = Unneeded(keptDumps, logs);
        if (unneeded.Count == 0)
        {
            return;
        }
        var ids = unneeded.Select(l => l.SnapshotId).ToList();
        var names = string.Join(", ", unneeded.Select(l => l.File).Order(StringComparer.Ordinal));
        RemovedBinlogs = ids.Select(id => id[..Math.Min(8, id.Length)]).ToList();
        if (policy.DryRun)
        {
            log.Info($"retention of {Host}: would remove {ids.Count} archived binary log(s) no kept dump needs ({names})");
            return;
        }
        var (code, _, errors) = await restic.RunAsync(["forget", .. (policy.Prune ? new[] { "--prune" } : []), .. ids], cancellationToken);
        if (code != 0)
        {
            throw restic.Failure("forget the archived binary logs no kept dump needs in", errors);
        }
        log.Info($"retention of {Host}: removed {ids.Count} archived binary log(s) no kept dump needs ({names})");
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
