using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Backup;
using Serverless.Backup.Runner.Database;
using Serverless.Backup.Runner.Reporting;
using Serverless.Backup.Runner.Restic;
using Serverless.Backup.Runner.Restore;
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
            errors.Insert(0, $"the first argument must be one of {string.Join(", ", Enum.GetNames<RunnerVerb>().Select(n => n.ToLowerInvariant()))} (got '{string.Join(' ', args)}'): run `backup-runner backup` or `backup-runner restore`");
        }
        else if (errors.Count == 0)
        {
            errors.AddRange(settings.Validate(verb.Value));
        }

        using var http = new HttpClient();
        var verbName = verb?.ToString().ToLowerInvariant() ?? (args.Length > 0 ? args[0] : "none");
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

        var temp = Path.Combine(Path.GetTempPath(), $"backup-runner-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            await (verb switch
            {
                RunnerVerb.Backup => BackupAsync(settings, reporter, temp, log, stop),
                RunnerVerb.Restore => RestoreAsync(settings, reporter, temp, log, stop),
                _ => throw new RunnerFailure(FailureReason.InvalidSettings, $"the verb {verbName} is not available in this runner"),
            });
            return ExitCodes.Success;
        }
        catch (RunnerFailure failure) when (!stop.IsCancellationRequested || failure.Reason == FailureReason.Cancelled)
        {
            await log.WriteLineAsync("error: " + failure.Message);
            await reporter.FailedAsync(failure.Reason, failure.Message, failure.Database, CancellationToken.None);
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
            TryDelete(temp);
        }
    }

    private static async Task BackupAsync(RunnerSettings settings, Reporter reporter, string temp, TextWriter log, CancellationToken stop)
    {
        var server = new MySqlServer(settings.Database, log);
        using var tools = new MySqlTools(settings.Database, temp);
        await server.WaitUntilReadyAsync(stop);
        var databases = await server.ResolveDatabasesAsync(stop);
        reporter.Started(databases);

        await using var endpoint = await ResticRepositoryEndpoint.OpenAsync(settings.Repository, log, stop);
        var restic = new ResticClient(settings.Repository, endpoint, temp, log);
        await restic.EnsureRepositoryAsync(stop);

        var results = await new BackupRun(settings.Session, server, tools, restic, reporter, log).RunAsync(databases, stop);
        await reporter.SucceededAsync(results, CancellationToken.None);
    }

    private static async Task RestoreAsync(RunnerSettings settings, Reporter reporter, string temp, TextWriter log, CancellationToken stop)
    {
        var server = new MySqlServer(settings.Database, log);
        using var tools = new MySqlTools(settings.Database, temp);
        await using var endpoint = await ResticRepositoryEndpoint.OpenAsync(settings.Repository, log, stop);
        var restic = new ResticClient(settings.Repository, endpoint, temp, log);
        var run = new RestoreRun(settings, server, tools, restic, reporter, log);

        // Choose the snapshots before touching the database: a missing snapshot changes nothing.
        var snapshots = await run.SelectAsync(stop);
        await server.WaitUntilReadyAsync(stop);
        reporter.Started(snapshots.Select(s => s.Database!).ToList());
        var results = await run.RunAsync(snapshots, stop);
        await reporter.SucceededAsync(results, CancellationToken.None);
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless; the Job's temp volume goes with the pod.
        }
    }
}
