using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Serverless.Backup.Core;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Core.Logging;
using Serverless.Backup.Runner.Logging;
using Serverless.Backup.Runner.PointInTime;
using Serverless.Backup.Runner.Restic;
using Serverless.Backup.Runner.Snapshots;

namespace Serverless.Backup.Runner.Restore;

/// <summary>What a point-in-time restore does for one database: its dump, then these logs from the dump's position.</summary>
public sealed record PointInTimeStep(ResticSnapshot Dump, BinlogPosition Position, IReadOnlyList<ArchivedBinlog> Logs);

/// <summary>A point-in-time restore decided: the second, each database's step (by source name), and the windows.</summary>
public sealed record PointInTimePlan(DateTimeOffset Time, IReadOnlyList<PointInTimeStep> Steps, PointInTimeReport Report)
{
    /// <summary>The dumps, as the restore's target checks take them.</summary>
    public IReadOnlyList<ResticSnapshot> Dumps => Steps.Select(s => s.Dump).ToList();
}

/// <summary>
/// RESTORE_POINT_IN_TIME: for each database, the newest full dump with a recorded binary-log position taken at or
/// before the time, restored as any snapshot is, then the configuration's archived binary logs replayed from the
/// dump's position up to and including the chosen second (<see cref="BinlogReplay"/>). Every database is planned
/// before anything is written: a time that any of them cannot reach (before its first positioned dump, in the
/// future, past the last archived event, inside a gap of missing logs) refuses the whole restore with
/// <see cref="FailureReason.PointInTimeNotRecoverable"/> and the windows that can be used.
/// </summary>
public sealed class PointInTimeRestore(
    RunnerSettings settings, ResticClient restic, PendingSnapshots pending, RestoreRun dumps, BinlogReplay replay, ILogger log)
{
    /// <summary>Reads the configuration's dumps and logs from the repository and plans every database, or refuses.</summary>
    public async Task<PointInTimePlan> PlanAsync(CancellationToken cancellationToken)
    {
        var listed = await restic.SnapshotsAsync(cancellationToken);
        var confirmed = PendingSnapshots.Confirmed(listed, await pending.ListAsync(cancellationToken));
        return Plan(settings, confirmed, DateTimeOffset.UtcNow);
    }

    /// <summary>The plan from the confirmed snapshots of the repository, at <paramref name="now"/>.</summary>
    public static PointInTimePlan Plan(RunnerSettings settings, IReadOnlyList<ResticSnapshot> confirmed, DateTimeOffset now)
    {
        var restore = settings.Restore;
        var configuration = settings.Session.Configuration ?? "adhoc";
        var ofConfiguration = confirmed
            .Where(s => s.Tag(ResticTags.Configuration) == configuration && s.Tag(ResticTags.Namespace) == settings.Session.Namespace)
            .ToList();
        var snapshots = ofConfiguration.ToDictionary(s => s.Id, StringComparer.Ordinal);
        var allDumps = ofConfiguration
            .Where(s => s.Database is not null && BinlogCatalog.PositionOf(s) is not null)
            .Select(s => new PositionedDump(s.Database!, s.Id, s.Time, BinlogCatalog.PositionOf(s)!))
            .ToList();
        var logs = ofConfiguration.Select(BinlogCatalog.ArchivedOf).OfType<ArchivedBinlog>().ToList();
        var where = $"configuration '{configuration}' of namespace '{settings.Session.Namespace}'";

        var databases = restore.Databases.Count > 0
            ? restore.Databases.ToList()
            : allDumps.Select(d => d.Database).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (databases.Count == 0)
        {
            var plain = ofConfiguration.Any(s => s.Database is not null);
            throw NotRecoverable(
                $"the {where} has no full backup with a recorded binary-log position" +
                (plain ? " (its backups were taken without BINLOG_RECORD_POSITION, spec.pointInTime.enabled)" : "") +
                ": point-in-time recovery starts from such a backup; enable it, take a backup, and restore to a time after it", null);
        }
        var unknownRenames = restore.Rename.Keys.Where(k => !databases.Contains(k, StringComparer.Ordinal)).ToList();
        if (unknownRenames.Count > 0)
        {
            throw new RunnerFailure(FailureReason.InvalidSettings,
                $"RESTORE_RENAME names {string.Join(", ", unknownRenames.Select(DatabaseNames.Show))}, which the point-in-time restore does not restore: use source names from {string.Join(", ", databases.Select(DatabaseNames.Show))}");
        }
        // mariadb-binlog reads --rewrite-db=from->to by splitting at "->" and trimming spaces, and it ends the new name at
        // its first space or tab (10.11: 'a->b c' renames a to b, a database the restore never checked): refuse such
        // names before anything is written rather than replay into another database.
        var unsplittable = databases.Where(d => RestoreTargets.TargetOf(d, restore.Rename) != d)
            .SelectMany(d => new[] { (Name: d, Target: false), (Name: RestoreTargets.TargetOf(d, restore.Rename), Target: true) })
            .Where(n => n.Name.Contains("->", StringComparison.Ordinal) || n.Name != n.Name.Trim() || (n.Target && n.Name.Any(char.IsWhiteSpace)))
            .Select(n => n.Name)
            .ToList();
        if (unsplittable.Count > 0)
        {
            throw new RunnerFailure(FailureReason.InvalidSettings,
                $"RESTORE_RENAME maps {string.Join(", ", unsplittable.Select(DatabaseNames.Show))}, which mariadb-binlog's --rewrite-db cannot carry (a new name must hold no space, tab or '->', a source name no '->' and no leading space): a point-in-time restore renames into such names only; nothing was written");
        }

        var dumps = allDumps.Where(d => databases.Contains(d.Database, StringComparer.Ordinal)).ToList();
        var report = RecoveryWindows.Compute(dumps, logs);
        var withoutDump = databases.Where(d => dumps.All(p => p.Database != d)).ToList();
        if (withoutDump.Count > 0)
        {
            var plainOnly = withoutDump.Where(d => ofConfiguration.Any(s => s.Database == d)).ToList();
            throw NotRecoverable(
                $"{string.Join(", ", withoutDump.Select(DatabaseNames.Show))} {(withoutDump.Count == 1 ? "has" : "have")} no full backup with a recorded binary-log position in the {where}" +
                (plainOnly.Count > 0 ? $" ({string.Join(", ", plainOnly.Select(DatabaseNames.Show))} only backups taken without BINLOG_RECORD_POSITION)" : "") +
                (restore.Databases.Count > 0 ? ": fix RESTORE_DATABASES, or take a backup with BINLOG_RECORD_POSITION=true first" : ""),
                RecoveryWindows.Compute(allDumps, logs));
        }

        DateTimeOffset time;
        if (restore.PointInTimeLatest)
        {
            time = report.Latest is { } latest
                ? Seconds(latest)
                : throw NotRecoverable($"RESTORE_POINT_IN_TIME=latest: the {where} has no recoverable window", report);
        }
        else
        {
            time = restore.PointInTimeUtc ?? throw new RunnerFailure(FailureReason.InvalidSettings,
                $"RESTORE_POINT_IN_TIME='{restore.PointInTime}' is not valid: set it to an RFC 3339 time with an offset such as 2026-11-29T12:30:00Z, or 'latest'");
            if (time > now)
            {
                throw NotRecoverable($"RESTORE_POINT_IN_TIME {Show(time)} is in the future (now {Show(now)})", report);
            }
        }

        var steps = new List<PointInTimeStep>();
        var refused = new List<string>();
        foreach (var database in databases)
        {
            if (RecoveryWindows.PlanFor(database, time, dumps, logs) is { } plan)
            {
                steps.Add(new PointInTimeStep(snapshots[plan.Dump.SnapshotId], plan.Dump.Position, plan.Logs));
            }
            else
            {
                refused.Add(WhyNot(database, time, dumps, logs, report));
            }
        }
        if (refused.Count > 0)
        {
            throw NotRecoverable($"RESTORE_POINT_IN_TIME {Show(time)} cannot be restored to: {string.Join("; ", refused)}", report);
        }
        return new PointInTimePlan(time, steps, report with { RestoredTo = time });
    }

    /// <summary>Restores each database of the plan: its dump, then its logs. Returns one result per database.</summary>
    public async Task<IReadOnlyList<DatabaseResult>> RunAsync(PointInTimePlan plan, CancellationToken stop)
    {
        var results = new List<DatabaseResult>();
        foreach (var step in plan.Steps)
        {
            var source = step.Dump.Database!;
            var target = RestoreTargets.TargetOf(source, settings.Restore.Rename);
            using (log.BeginScope(new LogScope(("database", source))))
            {
                var clock = Stopwatch.StartNew();
                var restored = await dumps.RestoreSnapshotAsync(step.Dump, stop);
                var bytes = restored.Bytes;
                for (var i = 0; i < step.Logs.Count; i++)
                {
                    var binlog = step.Logs[i];
                    try
                    {
                        bytes += await replay.ReplayAsync(binlog, source, target, i == 0 ? step.Position.Position : null, plan.Time, bytes, stop);
                    }
                    catch (RunnerFailure failure) when (!stop.IsCancellationRequested)
                    {
                        var applied = i == 0 ? "its dump was restored and no binary log was replayed completely"
                            : $"its dump and the binary logs up to {step.Logs[i - 1].File} were applied";
                        throw new RunnerFailure(failure.Reason,
                            $"{failure.Message}; {DatabaseNames.Show(target)} is partly restored ({applied}, the time {Show(plan.Time)} was not reached): restore it again",
                            source, failure.InnerException);
                    }
                }
                log.Info($"restored {DatabaseNames.Show(source)} into {DatabaseNames.Show(target)} to {Show(plan.Time)}: dump {step.Dump.ShortId ?? step.Dump.Id} at {step.Position.File}:{step.Position.Position}, then {step.Logs.Count} binary log(s){(step.Logs.Count > 0 ? $" ({step.Logs[0].File} to {step.Logs[^1].File})" : "")}");
                results.Add(restored with { Bytes = bytes, DurationSeconds = Math.Round(clock.Elapsed.TotalSeconds, 3) });
            }
        }
        return results;
    }

    /// <summary>Why a database cannot reach the time, in words, with the gap the time falls in when there is one.</summary>
    private static string WhyNot(string database, DateTimeOffset time, IReadOnlyList<PositionedDump> dumps, IReadOnlyList<ArchivedBinlog> logs, PointInTimeReport report)
    {
        var own = dumps.Where(d => d.Database == database).ToList();
        var first = own.Min(d => d.Time);
        var name = DatabaseNames.Show(database);
        if (time < Seconds(first))
        {
            return $"it is before the first full backup of {name} with a recorded position ({Show(first)})";
        }
        if (report.Gaps.FirstOrDefault(g => (g.From ?? DateTimeOffset.MinValue) <= time && time <= (g.To ?? DateTimeOffset.MaxValue)) is { } gap)
        {
            return $"it falls inside a gap in the binary logs of {name}: {gap.Message}";
        }
        var reach = own.Select(d => RecoveryWindows.ChainOf(d, logs) is { Count: > 0 } chain && chain[^1].LastEvent > d.Time ? chain[^1].LastEvent : d.Time).Max();
        if (time > reach)
        {
            return $"it is after the last archived event {name} can be rolled forward to ({Show(reach)}); a later time needs the binary logs after it archived (the archive verb), or a newer backup";
        }
        return $"no full backup of {name} reaches it through archived binary logs without a missing file";
    }

    private static RunnerFailure NotRecoverable(string why, PointInTimeReport? report) =>
        new(FailureReason.PointInTimeNotRecoverable, $"{why}; {Windows(report)}; nothing was written")
        {
            PointInTime = report,
        };

    /// <summary>The windows and gaps, in words.</summary>
    private static string Windows(PointInTimeReport? report)
    {
        if (report is null || report.Windows.Count == 0)
        {
            return "no time can be restored to (no recoverable window)" + Gaps(report);
        }
        return $"recoverable window{(report.Windows.Count == 1 ? "" : "s")}: {string.Join(", ", report.Windows.Select(w => $"{Show(w.Start)} to {Show(w.End)}"))}" + Gaps(report);
    }

    private static string Gaps(PointInTimeReport? report) =>
        report is { Gaps.Count: > 0 } ? $"; gap{(report.Gaps.Count == 1 ? "" : "s")}: {string.Join("; ", report.Gaps.Select(g => g.Message))}" : "";

    /// <summary>A time as RFC 3339 in UTC, to the second.</summary>
    public static string Show(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A time cut to its second.</summary>
    public static DateTimeOffset Seconds(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
    }
}
