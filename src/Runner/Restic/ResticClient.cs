using System.Text;
using System.Text.Json;
using CliWrap;
using Microsoft.Extensions.Logging;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Logging;
using Serverless.Backup.Runner.Processes;
using Serverless.Backup.Runner.Storage;

namespace Serverless.Backup.Runner.Restic;

/// <summary>
/// Runs restic (0.14 or later) against one repository. restic gets the repository and its password through its
/// environment only, a cache under the run's temp folder (the Job's root filesystem is read-only), and no other secret.
/// </summary>
public sealed class ResticClient(RepositorySettings settings, ResticRepositoryEndpoint endpoint, string tempFolder, ILogger log)
{
    public const string Executable = "restic";

    // restic 0.14's messages (it has no distinct exit codes for these before 0.17).
    private const string NoRepository = "Is there a repository at the following location?";
    private const string NoConfig = "unable to open config file";
    private const string WrongPassword = "wrong password or no key found";
    // 0.14 fails at once on a conflicting lock ("repository is already locked [exclusively] by PID …").
    private const string AlreadyLocked = "repository is already locked";

    /// <summary>How long an interrupted restic (SIGINT: it removes its lock) may take before it is killed.</summary>
    private static readonly TimeSpan InterruptGrace = TimeSpan.FromSeconds(10);

    private readonly IReadOnlyDictionary<string, string?> _environment = ChildEnvironment.With(
        ("RESTIC_REPOSITORY", endpoint.Repository),
        ("RESTIC_PASSWORD", settings.Password),
        ("RESTIC_CACHE_DIR", Path.Combine(tempFolder, "restic-cache")),
        // The runner counts bytes itself; restic's status lines would otherwise come 60 times a second.
        ("RESTIC_PROGRESS_FPS", "0.0167"),
        // Snapshot times (and --time) in UTC, so that retention's days and weeks do not depend on the node's zone.
        ("TZ", "UTC"));

    /// <summary>A restic command with the repository environment, exit code left to the caller.</summary>
    public Command Command(IEnumerable<string> arguments) =>
        Cli.Wrap(Executable)
            .WithArguments([.. arguments, "--compression", settings.Compression, .. endpoint.ResticOptions])
            .WithEnvironmentVariables(_environment)
            .WithValidation(CommandResultValidation.None);

    /// <summary>
    /// Runs a short restic command and returns its exit code, stdout and the tail of stderr. Cancelling interrupts
    /// restic (SIGINT, so it removes its lock) and kills it only when it has not ended after a grace period: a
    /// killed forget or check would leave an exclusive lock that blocks every later run.
    /// </summary>
    public async Task<(int ExitCode, string Output, OutputTail Errors)> RunAsync(IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var output = new StringBuilder();
        var errors = new OutputTail();
        using var forceful = new CancellationTokenSource();
        await using var escalate = cancellationToken.Register(() => forceful.CancelAfter(InterruptGrace));
        var result = await ChildProcesses.ExecuteAsync(
            Command(arguments)
                .WithStandardOutputPipe(PipeTarget.ToStringBuilder(output))
                .WithStandardErrorPipe(PipeTarget.ToDelegate(errors.Add)),
            forceful.Token, cancellationToken);
        return (result.ExitCode, output.ToString(), errors);
    }

    /// <summary>
    /// Opens the repository, initialising it when there is none. A wrong password is an error and never leads to
    /// a second repository.
    /// </summary>
    public async Task EnsureRepositoryAsync(CancellationToken cancellationToken)
    {
        // A repository whose config object exists needs no restic call here (each costs a key derivation,
        // about a second): the backup itself reports a wrong password.
        if (await endpoint.ConfigExistsAsync(cancellationToken))
        {
            return;
        }
        var (code, _, errors) = await RunAsync(["cat", "config", "--no-lock"], cancellationToken);
        if (code == 0)
        {
            return;
        }
        if (errors.Contains(WrongPassword))
        {
            throw WrongPasswordFailure();
        }
        if (!errors.Contains(NoRepository) && !errors.Contains(NoConfig))
        {
            throw Failure("open", errors);
        }
        log.Info($"no repository at {Describe()}: initialising one");
        (code, _, errors) = await RunAsync(["init"], cancellationToken);
        if (code != 0)
        {
            // Another runner may have initialised it meanwhile: opening again tells.
            var (again, _, againErrors) = await RunAsync(["cat", "config", "--no-lock"], cancellationToken);
            if (again != 0)
            {
                throw againErrors.Contains(WrongPassword) ? WrongPasswordFailure() : Failure("initialise", errors);
            }
        }
    }

    public async Task<IReadOnlyList<ResticSnapshot>> SnapshotsAsync(CancellationToken cancellationToken)
    {
        var (code, output, errors) = await RunAsync(["snapshots", "--json", "--no-lock"], cancellationToken);
        if (code != 0)
        {
            throw errors.Contains(WrongPassword) ? WrongPasswordFailure() : Failure("list the snapshots of", errors);
        }
        return JsonSerializer.Deserialize<List<ResticSnapshot>>(output.Trim() is { Length: > 0 } json ? json : "[]") ?? [];
    }

    /// <summary>
    /// Removes snapshots that must not count (partial or unconfirmed streams). Returns false when restic could not
    /// (a failure is logged: the run has failed already, or the snapshots stay uncounted until a later run).
    /// </summary>
    public async Task<bool> ForgetAsync(IReadOnlyCollection<string> snapshotIds, string what, CancellationToken cancellationToken)
    {
        if (snapshotIds.Count == 0)
        {
            return true;
        }
        var (code, _, errors) = await RunAsync(["forget", .. snapshotIds], cancellationToken);
        if (code == 0)
        {
            log.Info($"forgot {what} {string.Join(", ", snapshotIds)}");
        }
        else
        {
            log.Warning($"could not forget {what} {string.Join(", ", snapshotIds)}: {errors}");
        }
        return code == 0;
    }

    /// <summary>Turns restic's stderr into the failure a user can act on.</summary>
    public RunnerFailure Failure(string action, OutputTail errors, string? database = null)
    {
        if (errors.Contains(WrongPassword))
        {
            return WrongPasswordFailure();
        }
        if (errors.Contains(AlreadyLocked))
        {
            return new RunnerFailure(FailureReason.RepositoryLocked,
                $"restic could not {action} the repository at {Describe()} because another restic process holds a lock that may still be live ({errors}); with REPOSITORY_EXCLUSIVE=false the runner removes only stale locks before its work: wait for the other session to end, or, when no other session uses the repository, run again with REPOSITORY_EXCLUSIVE=true (or the unlock verb with it) to remove every lock", database);
        }
        if (endpoint.Health is { Failing: true } or { Unreachable: not null })
        {
            // restic's own words would be its retries and, on Azure, a Go stack trace: say what the store did.
            var health = endpoint.Health;
            return new RunnerFailure(FailureReason.StorageUnreachable,
                $"restic could not {action} the repository at {Describe()} because {health.Description} {health.LastError ?? "stopped answering"}: check {health.Settings} and the network", database);
        }
        return new RunnerFailure(FailureReason.RepositoryError,
            $"restic could not {action} the repository at {Describe()}: {errors}", database);
    }

    /// <summary>True once the run's storage watchdog declared the object store unreachable: nothing more can be done there.</summary>
    public bool StorageUnreachable => endpoint.Health?.Unreachable is not null;

    private RunnerFailure WrongPasswordFailure() =>
        new(FailureReason.RepositoryPasswordWrong,
            $"RESTIC_PASSWORD does not open the repository at {Describe()}: set it to the password the repository was created with (the storage secret's RESTIC_PASSWORD)");

    /// <summary>Where the repository is, for messages (never a secret).</summary>
    public string Describe() => settings.Backend switch
    {
        RepositoryBackend.Local => settings.Path ?? endpoint.Repository,
        RepositoryBackend.Azure => $"azure container '{settings.AzureContainer}'" + (settings.Prefix is { Length: > 0 } p ? $" prefix '{p}'" : ""),
        RepositoryBackend.S3 => $"s3 bucket '{settings.S3Bucket}'" + (settings.Prefix is { Length: > 0 } p ? $" prefix '{p}'" : ""),
        _ => endpoint.Repository,
    };
}
