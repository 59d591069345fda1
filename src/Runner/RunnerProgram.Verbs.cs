using Microsoft.Extensions.Logging;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Backup;
using Serverless.Backup.Runner.Database;
using Serverless.Backup.Runner.Logging;
using Serverless.Backup.Runner.Maintenance;
using Serverless.Backup.Runner.PointInTime;
using Serverless.Backup.Runner.Privileges;
using Serverless.Backup.Runner.Processes;
using Serverless.Backup.Runner.Reporting;
using Serverless.Backup.Runner.Restic;
using Serverless.Backup.Runner.Restore;
using Serverless.Backup.Runner.Retention;
using Serverless.Backup.Runner.Snapshots;
using Serverless.Backup.Runner.Storage;
using Serverless.Backup.Runner.Verify;

namespace Serverless.Backup.Runner;

/// <summary>The verbs: each opens the repository as it needs and does its work; RunnerProgram.cs reports and maps failures.</summary>
public static partial class RunnerProgram
{
    private static async Task BackupAsync(RunnerSettings settings, Reporter reporter, string temp, StorageHealth storage, ILogger log, CancellationToken stop)
    {
        var server = new MySqlServer(settings.Database, log);
        using var tools = new MySqlTools(settings.Database, temp);
        // The database and the repository do not depend on each other: get both ready at once, so the dump starts
        // as soon as the slower of the two is ready. The first to fail fails the run without waiting for the other.
        BinlogState? binlog = null;
        DumpTool? dumpTool = null;
        var (databases, endpointOwner) = await Preparation.BothAsync(
            async ct =>
            {
                await server.WaitUntilReadyAsync(ct);
                var resolved = await server.ResolveDatabasesAsync(ct);
                // mysqldump leaves out what the user may not read and still exits 0: refuse before dumping instead.
                var privileges = new PrivilegeCheck(server, DumpOptions.From([.. MySqlTools.SafeDumpOptions, .. settings.Database.DumpArgs]), log);
                await privileges.CheckAsync(resolved, ct);
                if (settings.PointInTime.RecordPosition)
                {
                    binlog = await new BinlogServer(server).ReadStateAsync(ct);
                    binlog.RequireLogBin($"{settings.Database.Host}:{settings.Database.Port}", "recording each dump's binary-log position (BINLOG_RECORD_POSITION=true)");
                    await privileges.CheckBinlogAsync(archive: false, ct);
                    dumpTool = DumpTool.Parse(await tools.DumpVersionAsync(ct));
                }
                reporter.Started(resolved);
                return resolved;
            },
            ct => OpenRepositoryAsync(settings, temp, storage, log, ct),
            stop);
        await using var endpoint = endpointOwner;
        var restic = new ResticClient(settings.Repository, endpoint, temp, log);
        // After a failure, the locks taken since now are this run's (a local repository has no other record of them).
        var locksBefore = await endpoint.LockNamesAsync(stop);

        // The repository report needs the snapshot list, and each restic call opens the repository (a key
        // derivation, about a second): list it while the dumps stream, and add this run's snapshots afterwards.
        using var listing = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var before = restic.SnapshotsAsync(listing.Token);
        IReadOnlyList<DatabaseResult> results;
        var run = new BackupRun(settings.Session, server, tools, restic, new PendingSnapshots(endpoint.Objects, log), reporter, log, binlog, dumpTool);
        try
        {
            results = await run.RunAsync(databases, stop);
        }
        catch (Exception e)
        {
            await listing.CancelAsync();
            await Task.WhenAny(before);
            if (await BackupFailure.ExplainAsync(e, endpoint, restic, locksBefore, stop.IsCancellationRequested, log) is { } explained)
            {
                throw explained;
            }
            throw;
        }

        // The backup succeeded: from here on a problem is a warning, never a failed backup.
        var warnings = new List<string>(binlog?.Warnings() ?? []);
        RetentionResult? retention = null;
        var retentionRun = new RetentionRun(settings.Session, settings.Retention, restic, new PendingSnapshots(endpoint.Objects, log), log);
        if (settings.Retention.IsSet)
        {
            try
            {
                retention = await retentionRun.ApplyAsync(stop);
            }
            catch (Exception e)
            {
                // Whatever went wrong (a lock, the storage, restic's output), the snapshots are safe: a warning.
                warnings.Add($"the backup succeeded but its retention policy was not applied ({e.Message}); the next backup or a forget run applies it");
            }
        }
        var reports = new RunReports(endpoint, restic, log) { RemovedBinlogs = retentionRun.RemovedBinlogs };
        var repository = await reports.AfterBackupAsync(before, settings.Session, results, retention, warnings, stop, run.Positions);
        var pointInTime = settings.PointInTime.RecordPosition ? reports.PointInTime(settings.Session, warnings) : null;
        foreach (var warning in warnings)
        {
            log.Warning(warning);
        }
        await reporter.SucceededAsync(results, retention, repository, warnings.Count == 0 ? null : string.Join("; ", warnings), CancellationToken.None, pointInTime);
    }

    /// <summary>
    /// Opens the repository for a backup: its endpoint, the repository itself (initialised when missing), its locks
    /// cleared, and the unconfirmed snapshots of killed runs removed.
    /// </summary>
    private static async Task<ResticRepositoryEndpoint> OpenRepositoryAsync(
        RunnerSettings settings, string temp, StorageHealth storage, ILogger log, CancellationToken cancellationToken)
    {
        var endpoint = await ResticRepositoryEndpoint.OpenAsync(settings.Repository, storage, log, cancellationToken);
        try
        {
            var restic = new ResticClient(settings.Repository, endpoint, temp, log);
            await restic.EnsureRepositoryAsync(cancellationToken);
            await new RepositoryLocks(endpoint, restic, log).ClearAsync(settings.Maintenance.Exclusive, cancellationToken);
            await new PendingSnapshots(endpoint.Objects, log).RemoveAbandonedAsync(settings.Maintenance.Exclusive, restic, cancellationToken);
            return endpoint;
        }
        catch
        {
            await endpoint.DisposeAsync();
            throw;
        }
    }

    private static async Task ForgetAsync(RunnerSettings settings, Reporter reporter, string temp, StorageHealth storage, ILogger log, CancellationToken stop)
    {
        reporter.Started([]);
        await using var endpoint = await ResticRepositoryEndpoint.OpenAsync(settings.Repository, storage, log, stop);
        var restic = new ResticClient(settings.Repository, endpoint, temp, log);
        await new RepositoryLocks(endpoint, restic, log).ClearAsync(settings.Maintenance.Exclusive, stop);
        var pending = new PendingSnapshots(endpoint.Objects, log);
        await pending.RemoveAbandonedAsync(settings.Maintenance.Exclusive, restic, stop);
        var retention = await new RetentionRun(settings.Session, settings.Retention, restic, pending, log).ApplyAsync(stop);
        var warnings = new List<string>();
        var reports = new RunReports(endpoint, restic, log);
        var repository = await reports.AfterSuccessAsync(new Dictionary<string, long>(), warnings, stop);
        var pointInTime = settings.PointInTime.RecordPosition ? reports.PointInTime(settings.Session, warnings) : null;
        await reporter.SucceededAsync([], retention, repository, warnings.Count == 0 ? null : string.Join("; ", warnings), CancellationToken.None, pointInTime);
    }

    /// <summary>
    /// Stores the server's closed binary logs that the repository does not hold yet (<see cref="ArchiveRun"/>) and
    /// reports the configuration's recoverable window. Not exclusive: it runs beside backups of the repository.
    /// </summary>
    private static async Task ArchiveAsync(RunnerSettings settings, Reporter reporter, string temp, StorageHealth storage, ILogger log, CancellationToken stop)
    {
        var server = new MySqlServer(settings.Database, log);
        using var tools = new MySqlTools(settings.Database, temp);
        var (state, endpointOwner) = await Preparation.BothAsync(
            async ct =>
            {
                await server.WaitUntilReadyAsync(ct);
                var state = await new BinlogServer(server).ReadStateAsync(ct);
                state.RequireLogBin($"{settings.Database.Host}:{settings.Database.Port}", "archiving binary logs (the archive verb)");
                await new PrivilegeCheck(server, DumpOptions.From([]), log).CheckBinlogAsync(archive: true, ct);
                _ = tools.BinlogPath;
                reporter.Started([]);
                return state;
            },
            ct => OpenRepositoryAsync(settings, temp, storage, log, ct),
            stop);
        await using var opened = endpointOwner;
        var restic = new ResticClient(settings.Repository, opened, temp, log);
        var warnings = new List<string>(state.Warnings());
        var run = new ArchiveRun(settings, server, tools, restic, new PendingSnapshots(opened.Objects, log), temp, log);
        ArchiveOutcome outcome;
        try
        {
            outcome = await run.RunAsync(state, stop);
        }
        catch (RunnerFailure failure) when (run.Stored.Count > 0)
        {
            throw new RunnerFailure(failure.Reason, $"{failure.Message} (this run stored {run.Stored.Count} log(s) before: {string.Join(", ", run.Stored.Select(l => l.File))}; they count)", failure.Database, failure)
            {
                PointInTime = new PointInTimeReport
                {
                    ArchivedFiles = run.Stored.Count,
                    ArchivedBytes = run.Stored.Sum(l => l.Size),
                    LastArchivedFile = run.Stored[^1].File,
                },
            };
        }
        warnings.AddRange(outcome.Warnings);
        var pointInTime = ArchiveRun.Report(outcome.Snapshots, settings.Session, outcome.Stored.Count, outcome.StoredBytes);
        foreach (var gap in pointInTime.Gaps)
        {
            warnings.Add(gap.Message);
        }
        var sizes = new Dictionary<string, long>();
        var repository = await new RunReports(opened, restic, log).AfterSuccessAsync(sizes, warnings, stop);
        foreach (var warning in warnings)
        {
            log.Warning(warning);
        }
        log.Info(pointInTime.Windows.Count == 0
            ? "no recoverable window yet: it needs a full backup with BINLOG_RECORD_POSITION=true and the archived logs after it"
            : $"recoverable: {string.Join(", ", pointInTime.Windows.Select(w => $"{w.Start:u} to {w.End:u}"))}");
        await reporter.SucceededAsync([], null, repository, warnings.Count == 0 ? null : string.Join("; ", warnings), CancellationToken.None, pointInTime);
    }

    private static async Task CheckAsync(RunnerSettings settings, Reporter reporter, string temp, StorageHealth storage, ILogger log, CancellationToken stop)
    {
        reporter.Started([]);
        await using var endpoint = await ResticRepositoryEndpoint.OpenAsync(settings.Repository, storage, log, stop);
        var restic = new ResticClient(settings.Repository, endpoint, temp, log);
        await new RepositoryLocks(endpoint, restic, log).ClearAsync(settings.Maintenance.Exclusive, stop);
        var (intact, message) = await new IntegrityCheck(restic).RunAsync(settings.Maintenance.ReadDataSubset, stop);
        if (intact)
        {
            log.Info($"check: {message}");
        }
        var warnings = new List<string>();
        var repository = await new RunReports(endpoint, restic, log).AfterSuccessAsync(new Dictionary<string, long>(), warnings, stop, intact, intact ? null : message);
        if (!intact)
        {
            throw new RunnerFailure(FailureReason.IntegrityCheckFailed,
                $"restic check found damage in the repository at {restic.Describe()}: {message}; back up into a new repository (restore what can still be restored from this one), or repair it with restic (rebuild-index, then a new backup re-adds missing data)")
            {
                // The snapshots cannot always be read from a damaged repository: then only the integrity is known.
                Repository = repository ?? new RepositoryReport { SnapshotCount = 0, Integrity = false, IntegrityMessage = message },
            };
        }
        await reporter.SucceededAsync([], null, repository, warnings.Count == 0 ? null : string.Join("; ", warnings), CancellationToken.None);
    }

    private static async Task UnlockAsync(RunnerSettings settings, Reporter reporter, string temp, StorageHealth storage, ILogger log, CancellationToken stop)
    {
        reporter.Started([]);
        await using var endpoint = await ResticRepositoryEndpoint.OpenAsync(settings.Repository, storage, log, stop);
        var restic = new ResticClient(settings.Repository, endpoint, temp, log);
        var outcome = await new RepositoryLocks(endpoint, restic, log).ClearAsync(settings.Maintenance.Exclusive, stop);
        var unconfirmed = await new PendingSnapshots(endpoint.Objects, log).RemoveAbandonedAsync(settings.Maintenance.Exclusive, restic, stop);
        var warnings = new List<string>();
        if (outcome.Remaining > 0)
        {
            warnings.Add($"{outcome.Remaining} lock(s) remain: they may belong to a live session (REPOSITORY_EXCLUSIVE=false removes only stale locks); run unlock with REPOSITORY_EXCLUSIVE=true when no other session uses the repository");
        }
        if (unconfirmed.Count > 0)
        {
            warnings.Add($"{unconfirmed.Count} stream(s) of runs that may still be live remain unconfirmed ({string.Join(", ", unconfirmed)}): their snapshots do not count; run unlock with REPOSITORY_EXCLUSIVE=true when no other session uses the repository to remove them");
        }
        var repository = await new RunReports(endpoint, restic, log).AfterSuccessAsync(new Dictionary<string, long>(), warnings, stop);
        foreach (var warning in warnings)
        {
            log.Warning(warning);
        }
        await reporter.SucceededAsync([], null, repository, warnings.Count == 0 ? null : string.Join("; ", warnings), CancellationToken.None);
    }

    private static async Task RestoreAsync(RunnerSettings settings, Reporter reporter, string temp, StorageHealth storage, ILogger log, CancellationToken stop)
    {
        var server = new MySqlServer(settings.Database, log);
        using var tools = new MySqlTools(settings.Database, temp);
        await using var endpoint = await ResticRepositoryEndpoint.OpenAsync(settings.Repository, storage, log, stop);
        var restic = new ResticClient(settings.Repository, endpoint, temp, log);
        var run = new RestoreRun(settings, server, tools, restic, new PendingSnapshots(endpoint.Objects, log), reporter, log);
        if (settings.Restore.PointInTime is not null)
        {
            await RestorePointInTimeAsync(settings, reporter, server, tools, restic, run, new PendingSnapshots(endpoint.Objects, log), log, stop);
            return;
        }

        // Choose the snapshots and check every target before touching the database: a missing snapshot or a
        // refused target changes nothing, in any of the targets.
        var snapshots = await run.SelectAsync(stop);
        var targets = new RestoreTargetCheck(settings.Restore, server);
        targets.CheckNames(snapshots);
        await server.WaitUntilReadyAsync(stop);
        await targets.CheckServerAsync(snapshots, stop);
        reporter.Started(snapshots.Select(s => s.Database!).ToList());
        var results = await run.RunAsync(snapshots, stop);
        await reporter.SucceededAsync(results, CancellationToken.None);
    }

    /// <summary>
    /// RESTORE_POINT_IN_TIME: every database planned (its dump and the logs to replay) and every target checked
    /// before anything is written; then per database the dump, then the logs.
    /// </summary>
    private static async Task RestorePointInTimeAsync(
        RunnerSettings settings, Reporter reporter, MySqlServer server, MySqlTools tools, ResticClient restic, RestoreRun run,
        PendingSnapshots pending, ILogger log, CancellationToken stop)
    {
        var pointInTime = new PointInTimeRestore(settings, restic, pending, run, new BinlogReplay(restic, tools, reporter), log);
        var plan = await pointInTime.PlanAsync(stop);
        var targets = new RestoreTargetCheck(settings.Restore, server);
        targets.CheckNames(plan.Dumps);
        await server.WaitUntilReadyAsync(stop);
        await targets.CheckServerAsync(plan.Dumps, stop);
        // The dump would go in and the replay then fail: refuse before writing anything.
        await new PrivilegeCheck(server, DumpOptions.From(MySqlTools.SafeDumpOptions), log).CheckReplayAsync(stop);
        reporter.Started(plan.Steps.Select(s => s.Dump.Database!).ToList());
        var results = await pointInTime.RunAsync(plan, stop);
        await reporter.SucceededAsync(results, plan.Report, CancellationToken.None);
    }

    private static async Task VerifyAsync(RunnerSettings settings, Reporter reporter, string temp, StorageHealth storage, ILogger log, CancellationToken stop)
    {
        await using var endpoint = await ResticRepositoryEndpoint.OpenAsync(settings.Repository, storage, log, stop);
        var restic = new ResticClient(settings.Repository, endpoint, temp, log);
        var (restored, verification) = await new VerifyRun(settings, restic, new PendingSnapshots(endpoint.Objects, log), new ScratchRecords(endpoint.Objects, log), reporter, temp, log).RunAsync(stop);
        await reporter.VerifiedAsync(restored, verification, null, CancellationToken.None);
    }
}
