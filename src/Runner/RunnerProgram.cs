using Microsoft.Extensions.Logging;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Backup;
using Serverless.Backup.Runner.Database;
using Serverless.Backup.Runner.Logging;
using Serverless.Backup.Runner.Maintenance;
using Serverless.Backup.Runner.Privileges;
using Serverless.Backup.Runner.Processes;
using Serverless.Backup.Runner.Reporting;
using Serverless.Backup.Runner.Restic;
using Serverless.Backup.Runner.Restore;
using Serverless.Backup.Runner.Retention;
using Serverless.Backup.Runner.Snapshots;
using Serverless.Backup.Runner.Storage;

namespace Serverless.Backup.Runner;

/// <summary>The runner's verbs, wired together: settings, reporting, storage, database, restic.</summary>
public static class RunnerProgram
{
    public static async Task<int> RunAsync(
        string[] args, Func<string, string?> environment, TextWriter stdout, ILoggerFactory loggers, CancellationToken stop)
    {
        RunnerSettings settings;
        List<string> errors = [];
        try
        {
            settings = EnvContract.FromEnvironment<RunnerSettings>(environment);
        }
        catch (SettingsException e)
        {
            settings = new RunnerSettings();
            errors.AddRange(e.Errors);
        }

        RunnerVerb? verb = args.Length == 1 && Enum.TryParse<RunnerVerb>(args[0], ignoreCase: true, out var v) && !int.TryParse(args[0], out _)
            ? v
            : null;
        if (verb is null)
        {
            errors.Insert(0, $"the first argument must be one of {string.Join(", ", Enum.GetNames<RunnerVerb>().Select(n => n.ToLowerInvariant()))} (got '{string.Join(' ', args)}'): run `backup-runner backup`, `restore`, `check`, `forget` or `unlock`");
        }
        else if (errors.Count == 0)
        {
            errors.AddRange(settings.Validate(verb.Value));
        }

        using var http = new HttpClient();
        var verbName = verb?.ToString().ToLowerInvariant() ?? (args.Length > 0 ? args[0] : "none");
        var log = SessionLogger.Create(loggers, settings.Session, verbName);
        await using var reporter = new Reporter(
            EventSinks.Create(settings, verbName, http, stdout, log), settings.Session, verbName, settings.Reporting.ProgressInterval, log);

        if (errors.Count > 0)
        {
            foreach (var error in errors)
            {
                log.Error(error);
            }
            await reporter.FailedAsync(FailureReason.InvalidSettings, string.Join("; ", errors), null, CancellationToken.None);
            return ExitCodes.For(FailureReason.InvalidSettings);
        }

        var temp = RunFolder.Create(log);
        if (OperatingSystem.IsLinux() && !ChildProcesses.DieWithRunner)
        {
            log.Warning("setpriv (util-linux) is not on PATH: a child may outlive a killed runner (its snapshot would stay unconfirmed and not count); install util-linux in the runner image");
        }
        var storage = new StorageHealth(log);
        // The run's work stops on SIGTERM, or when the storage watchdog declares the object store unreachable.
        using var work = CancellationTokenSource.CreateLinkedTokenSource(stop);
        try
        {
            await using (new StorageWatchdog(storage, settings.Repository.StallTimeout, work, log))
            {
                await (verb switch
                {
                    RunnerVerb.Backup => BackupAsync(settings, reporter, temp, storage, log, work.Token),
                    RunnerVerb.Restore => RestoreAsync(settings, reporter, temp, storage, log, work.Token),
                    RunnerVerb.Forget => ForgetAsync(settings, reporter, temp, storage, log, work.Token),
                    RunnerVerb.Check => CheckAsync(settings, reporter, temp, storage, log, work.Token),
                    RunnerVerb.Unlock => UnlockAsync(settings, reporter, temp, storage, log, work.Token),
                    _ => throw new RunnerFailure(FailureReason.InvalidSettings, $"the verb {verbName} is not available in this runner"),
                });
            }
            return ExitCodes.Success;
        }
        catch (Exception e) when (storage.Unreachable is { } unreachable)
        {
            // The watchdog ended the work: whatever the work threw on its way out, the storage is why.
            var failure = e as RunnerFailure;
            var message = failure?.Reason == FailureReason.StorageUnreachable ? failure.Message : unreachable;
            if (verb == RunnerVerb.Restore)
            {
                message += "; a database being restored may be partly restored: run the restore again once the storage answers";
            }
            return await FailAsync(reporter, log, FailureReason.StorageUnreachable, message, failure?.Database);
        }
        catch (RunnerFailure failure) when (!stop.IsCancellationRequested || failure.Reason == FailureReason.Cancelled)
        {
            return await FailAsync(reporter, log, failure.Reason, failure.Message, failure.Database, failure.Repository);
        }
        catch (Exception e) when (stop.IsCancellationRequested)
        {
            log.Error($"stopped ({e.GetType().Name}: {e.Message})");
            return await FailAsync(reporter, log, FailureReason.Cancelled, Stopped(verb!.Value), null);
        }
        catch (StorageUnreachableException e)
        {
            return await FailAsync(reporter, log, FailureReason.StorageUnreachable, e.Message, null);
        }
        catch (Exception e) when (storage.Failing && IsStorageError(e))
        {
            // A call of the runner's own to a failing store (not through restic): the store is why, in our words.
            log.Error($"{e.GetType().Name}: {e.Message}", e);
            return await FailAsync(reporter, log, FailureReason.StorageUnreachable,
                $"{storage.Description} {storage.LastError}: check {storage.Settings} and the network ({e.GetType().Name}: {e.GetBaseException().Message})", null);
        }
        catch (Exception e)
        {
            log.Error($"unexpected {e.GetType().Name}: {e.Message}", e);
            await reporter.FailedAsync(FailureReason.Internal, $"unexpected {e.GetType().Name}: {e.Message}", null, CancellationToken.None);
            return ExitCodes.For(FailureReason.Internal);
        }
        finally
        {
            RunFolder.Delete(temp);
        }
    }

    private static async Task<int> FailAsync(
        Reporter reporter, ILogger log, FailureReason reason, string message, string? database, RepositoryReport? repository = null)
    {
        log.Error(message);
        await reporter.FailedAsync(reason, message, database, repository, CancellationToken.None);
        return ExitCodes.For(reason);
    }

    /// <summary>What is true when a SIGTERM stopped a verb outside a backup's streams (those say more themselves).</summary>
    private static string Stopped(RunnerVerb verb) => verb switch
    {
        RunnerVerb.Backup => "the runner was stopped (SIGTERM) before any dump began: no snapshot was written",
        RunnerVerb.Restore => "the runner was stopped (SIGTERM) during the restore: a database it was restoring may be partly restored; run the restore again",
        _ => $"the runner was stopped (SIGTERM) and interrupted restic's {verb.ToString().ToLowerInvariant()}",
    };

    private static bool IsStorageError(Exception e) =>
        e is IOException or HttpRequestException or System.Net.Sockets.SocketException or Azure.RequestFailedException or Amazon.Runtime.AmazonServiceException
            or Amazon.Runtime.AmazonClientException or AggregateException;

    private static async Task BackupAsync(RunnerSettings settings, Reporter reporter, string temp, StorageHealth storage, ILogger log, CancellationToken stop)
    {
        var server = new MySqlServer(settings.Database, log);
        using var tools = new MySqlTools(settings.Database, temp);
        // The database and the repository do not depend on each other: get both ready at once, so the dump starts
        // as soon as the slower of the two is ready. The first to fail fails the run without waiting for the other.
        var (databases, endpointOwner) = await Preparation.BothAsync(
            async ct =>
            {
                await server.WaitUntilReadyAsync(ct);
                var resolved = await server.ResolveDatabasesAsync(ct);
                // mysqldump leaves out what the user may not read and still exits 0: refuse before dumping instead.
                await new PrivilegeCheck(server, DumpOptions.From([.. MySqlTools.SafeDumpOptions, .. settings.Database.DumpArgs]), log).CheckAsync(resolved, ct);
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
        try
        {
            results = await new BackupRun(settings.Session, server, tools, restic, new PendingSnapshots(endpoint.Objects, log), reporter, log).RunAsync(databases, stop);
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
        var warnings = new List<string>();
        RetentionResult? retention = null;
        if (settings.Retention.IsSet)
        {
            try
            {
                retention = await new RetentionRun(settings.Session, settings.Retention, restic, new PendingSnapshots(endpoint.Objects, log), log).ApplyAsync(stop);
            }
            catch (Exception e)
            {
                // Whatever went wrong (a lock, the storage, restic's output), the snapshots are safe: a warning.
                warnings.Add($"the backup succeeded but its retention policy was not applied ({e.Message}); the next backup or a forget run applies it");
            }
        }
        var repository = await new RunReports(endpoint, restic, log).AfterBackupAsync(before, settings.Session, results, retention, warnings, stop);
        foreach (var warning in warnings)
        {
            log.Warning(warning);
        }
        await reporter.SucceededAsync(results, retention, repository, warnings.Count == 0 ? null : string.Join("; ", warnings), CancellationToken.None);
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
        var repository = await new RunReports(endpoint, restic, log).AfterSuccessAsync(new Dictionary<string, long>(), warnings, stop);
        await reporter.SucceededAsync([], retention, repository, warnings.Count == 0 ? null : string.Join("; ", warnings), CancellationToken.None);
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
}
