using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Backup;
using Serverless.Backup.Runner.Database;
using Serverless.Backup.Runner.Logging;
using Serverless.Backup.Runner.Maintenance;
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
        string[] args, Func<string, string?> environment, TextWriter stdout, TextWriter log, CancellationToken stop)
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
        using var jsonLog = new JsonLogWriter(log, settings.Session, verbName);
        log = jsonLog;
        await using var reporter = new Reporter(
            EventSinks.Create(settings, verbName, http, stdout, log), settings.Session, verbName, settings.Reporting.ProgressInterval, log);

        if (errors.Count > 0)
        {
            foreach (var error in errors)
            {
                await log.WriteLineAsync("error: " + error);
            }
            await reporter.FailedAsync(FailureReason.InvalidSettings, string.Join("; ", errors), null, CancellationToken.None);
            return ExitCodes.For(FailureReason.InvalidSettings);
        }

        var temp = RunFolder.Create(log);
        try
        {
            await (verb switch
            {
                RunnerVerb.Backup => BackupAsync(settings, reporter, temp, log, stop),
                RunnerVerb.Restore => RestoreAsync(settings, reporter, temp, log, stop),
                RunnerVerb.Forget => ForgetAsync(settings, reporter, temp, log, stop),
                RunnerVerb.Check => CheckAsync(settings, reporter, temp, log, stop),
                RunnerVerb.Unlock => UnlockAsync(settings, reporter, temp, log, stop),
                _ => throw new RunnerFailure(FailureReason.InvalidSettings, $"the verb {verbName} is not available in this runner"),
            });
            return ExitCodes.Success;
        }
        catch (RunnerFailure failure) when (!stop.IsCancellationRequested || failure.Reason == FailureReason.Cancelled)
        {
            await log.WriteLineAsync("error: " + failure.Message);
            await reporter.FailedAsync(failure.Reason, failure.Message, failure.Database, failure.Repository, CancellationToken.None);
            return ExitCodes.For(failure.Reason);
        }
        catch (Exception e) when (stop.IsCancellationRequested)
        {
            const string message = "the runner was stopped (SIGTERM) and interrupted its work: no snapshot of an interrupted dump was kept and restic's lock was removed";
            await log.WriteLineAsync($"error: {message} ({e.GetType().Name})");
            await reporter.FailedAsync(FailureReason.Cancelled, message, null, CancellationToken.None);
            return ExitCodes.For(FailureReason.Cancelled);
        }
        catch (StorageUnreachableException e)
        {
            await log.WriteLineAsync("error: " + e.Message);
            await reporter.FailedAsync(FailureReason.StorageUnreachable, e.Message, null, CancellationToken.None);
            return ExitCodes.For(FailureReason.StorageUnreachable);
        }
        catch (Exception e)
        {
            await log.WriteLineAsync("error: " + e);
            await reporter.FailedAsync(FailureReason.Internal, $"unexpected {e.GetType().Name}: {e.Message}", null, CancellationToken.None);
            return ExitCodes.For(FailureReason.Internal);
        }
        finally
        {
            RunFolder.Delete(temp);
        }
    }

    private static async Task BackupAsync(RunnerSettings settings, Reporter reporter, string temp, TextWriter log, CancellationToken stop)
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
                reporter.Started(resolved);
                return resolved;
            },
            ct => OpenRepositoryAsync(settings, temp, log, ct),
            stop);
        await using var endpoint = endpointOwner;
        var restic = new ResticClient(settings.Repository, endpoint, temp, log);

        // The repository report needs the snapshot list, and each restic call opens the repository (a key
        // derivation, about a second): list it while the dumps stream, and add this run's snapshots afterwards.
        using var listing = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var before = restic.SnapshotsAsync(listing.Token);
        IReadOnlyList<DatabaseResult> results;
        try
        {
            results = await new BackupRun(settings.Session, server, tools, restic, new PendingSnapshots(endpoint.Objects, log), reporter, log).RunAsync(databases, stop);
        }
        catch
        {
            await listing.CancelAsync();
            await Task.WhenAny(before);
            await ClearOwnStaleLocksAsync(endpoint, restic, log);
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
            await log.WriteLineAsync("warning: " + warning);
        }
        await reporter.SucceededAsync(results, retention, repository, warnings.Count == 0 ? null : string.Join("; ", warnings), CancellationToken.None);
    }

    /// <summary>
    /// After a failed or stopped backup: restic removes its lock when interrupted, except when the interrupt lands
    /// while it is still taking the lock (restic 0.14), as a SIGTERM in a backup's first second does. A lock left
    /// by a restic of this pod that has exited is stale by restic's own rule (this host, no such process), so
    /// `restic unlock` removes it, and never the lock of a live session elsewhere. Costs nothing without locks.
    /// </summary>
    private static async Task ClearOwnStaleLocksAsync(ResticRepositoryEndpoint endpoint, ResticClient restic, TextWriter log)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await new RepositoryLocks(endpoint, restic, log).ClearAsync(exclusive: false, timeout.Token);
        }
        catch (Exception e)
        {
            // Best effort: whatever the storage or restic says here, the backup's own failure is the one reported.
            await log.WriteLineAsync($"warning: could not check for a lock left by this run's restic ({e.Message})");
        }
    }

    /// <summary>
    /// Opens the repository for a backup: its endpoint, the repository itself (initialised when missing), its locks
    /// cleared, and the unconfirmed snapshots of killed runs removed.
    /// </summary>
    private static async Task<ResticRepositoryEndpoint> OpenRepositoryAsync(RunnerSettings settings, string temp, TextWriter log, CancellationToken cancellationToken)
    {
        var endpoint = await ResticRepositoryEndpoint.OpenAsync(settings.Repository, log, cancellationToken);
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

    private static async Task ForgetAsync(RunnerSettings settings, Reporter reporter, string temp, TextWriter log, CancellationToken stop)
    {
        reporter.Started([]);
        await using var endpoint = await ResticRepositoryEndpoint.OpenAsync(settings.Repository, log, stop);
        var restic = new ResticClient(settings.Repository, endpoint, temp, log);
        await new RepositoryLocks(endpoint, restic, log).ClearAsync(settings.Maintenance.Exclusive, stop);
        var pending = new PendingSnapshots(endpoint.Objects, log);
        await pending.RemoveAbandonedAsync(settings.Maintenance.Exclusive, restic, stop);
        var retention = await new RetentionRun(settings.Session, settings.Retention, restic, pending, log).ApplyAsync(stop);
        var warnings = new List<string>();
        var repository = await new RunReports(endpoint, restic, log).AfterSuccessAsync(new Dictionary<string, long>(), warnings, stop);
        await reporter.SucceededAsync([], retention, repository, warnings.Count == 0 ? null : string.Join("; ", warnings), CancellationToken.None);
    }

    private static async Task CheckAsync(RunnerSettings settings, Reporter reporter, string temp, TextWriter log, CancellationToken stop)
    {
        reporter.Started([]);
        await using var endpoint = await ResticRepositoryEndpoint.OpenAsync(settings.Repository, log, stop);
        var restic = new ResticClient(settings.Repository, endpoint, temp, log);
        await new RepositoryLocks(endpoint, restic, log).ClearAsync(settings.Maintenance.Exclusive, stop);
        var (intact, message) = await new IntegrityCheck(restic).RunAsync(settings.Maintenance.ReadDataSubset, stop);
        if (intact)
        {
            await log.WriteLineAsync($"check: {message}");
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

    private static async Task UnlockAsync(RunnerSettings settings, Reporter reporter, string temp, TextWriter log, CancellationToken stop)
    {
        reporter.Started([]);
        await using var endpoint = await ResticRepositoryEndpoint.OpenAsync(settings.Repository, log, stop);
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
            await log.WriteLineAsync("warning: " + warning);
        }
        await reporter.SucceededAsync([], null, repository, warnings.Count == 0 ? null : string.Join("; ", warnings), CancellationToken.None);
    }

    private static async Task RestoreAsync(RunnerSettings settings, Reporter reporter, string temp, TextWriter log, CancellationToken stop)
    {
        var server = new MySqlServer(settings.Database, log);
        using var tools = new MySqlTools(settings.Database, temp);
        await using var endpoint = await ResticRepositoryEndpoint.OpenAsync(settings.Repository, log, stop);
        var restic = new ResticClient(settings.Repository, endpoint, temp, log);
        var run = new RestoreRun(settings, server, tools, restic, new PendingSnapshots(endpoint.Objects, log), reporter, log);

        // Choose the snapshots before touching the database: a missing snapshot changes nothing.
        var snapshots = await run.SelectAsync(stop);
        await server.WaitUntilReadyAsync(stop);
        reporter.Started(snapshots.Select(s => s.Database!).ToList());
        var results = await run.RunAsync(snapshots, stop);
        await reporter.SucceededAsync(results, CancellationToken.None);
    }
}
