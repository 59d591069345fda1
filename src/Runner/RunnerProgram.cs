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
public static partial class RunnerProgram
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
            errors.Insert(0, $"the first argument must be one of {string.Join(", ", Enum.GetNames<RunnerVerb>().Select(n => n.ToLowerInvariant()))} (got '{string.Join(' ', args)}'): run `backup-runner backup`, `restore`, `check`, `forget`, `unlock`, `verify` or `archive`");
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
                    RunnerVerb.Verify => VerifyAsync(settings, reporter, temp, storage, log, work.Token),
                    RunnerVerb.Archive => ArchiveAsync(settings, reporter, temp, storage, log, work.Token),
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
            return await FailAsync(reporter, log, FailureReason.StorageUnreachable, message, failure?.Database, null, failure?.Verification);
        }
        catch (RunnerFailure failure) when (!stop.IsCancellationRequested || failure.Reason == FailureReason.Cancelled)
        {
            return await FailAsync(reporter, log, failure.Reason, failure.Message, failure.Database, failure.Repository, failure.Verification, failure.PointInTime);
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
        Reporter reporter, ILogger log, FailureReason reason, string message, string? database, RepositoryReport? repository = null,
        VerificationResult? verification = null, PointInTimeReport? pointInTime = null)
    {
        log.Error(message);
        await reporter.FailedAsync(reason, message, database, repository, verification, pointInTime, CancellationToken.None);
        return ExitCodes.For(reason);
    }

    /// <summary>What is true when a SIGTERM stopped a verb outside a backup's streams (those say more themselves).</summary>
    private static string Stopped(RunnerVerb verb) => verb switch
    {
        RunnerVerb.Backup => "the runner was stopped (SIGTERM) before any dump began: no snapshot was written",
        RunnerVerb.Restore => "the runner was stopped (SIGTERM) during the restore: a database it was restoring may be partly restored; run the restore again",
        RunnerVerb.Archive => "the runner was stopped (SIGTERM) while archiving binary logs: the logs it had stored count, a log it was storing does not (the next run stores it again)",
        RunnerVerb.Verify => "the runner was stopped (SIGTERM) during verification: the scratch databases it had created were dropped (the log names any that could not be); nothing was verified",
        _ => $"the runner was stopped (SIGTERM) and interrupted restic's {verb.ToString().ToLowerInvariant()}",
    };

    private static bool IsStorageError(Exception e) =>
        e is IOException or HttpRequestException or System.Net.Sockets.SocketException or Azure.RequestFailedException or Amazon.Runtime.AmazonServiceException
            or Amazon.Runtime.AmazonClientException or AggregateException;
}
