namespace Serverless.Backup.Core.Environment;

/// <summary>
/// Everything the runner reads from its environment: the contract between the Job (built by the Functions app)
/// and the runner. <see cref="EnvContract.ToEnvironment{T}"/> writes it, <see cref="EnvContract.FromEnvironment{T}(Func{string,string})"/>
/// reads it back. Every variable is documented in docs/runner.md.
/// </summary>
public sealed record RunnerSettings
{
    [EnvGroup] public SessionSettings Session { get; init; } = new();
    [EnvGroup] public DatabaseSettings Database { get; init; } = new();
    [EnvGroup] public RepositorySettings Repository { get; init; } = new();
    [EnvGroup] public RestoreSettings Restore { get; init; } = new();
    [EnvGroup] public ReportingSettings Reporting { get; init; } = new();
    [EnvGroup] public RetentionSettings Retention { get; init; } = new();
    [EnvGroup] public MaintenanceSettings Maintenance { get; init; } = new();
    [EnvGroup] public VerifySettings Verify { get; init; } = new();
    [EnvGroup] public PointInTimeSettings PointInTime { get; init; } = new();

    public static RunnerSettings FromProcessEnvironment() => EnvContract.FromProcessEnvironment<RunnerSettings>();

    /// <summary>Checks what the verb needs; each message names the variable and how to fix it. Empty when valid.</summary>
    public IReadOnlyList<string> Validate(RunnerVerb verb)
    {
        var errors = new List<string>();
        Session.Validate(errors);
        Repository.Validate(errors);
        if (verb is RunnerVerb.Backup or RunnerVerb.Restore or RunnerVerb.Verify or RunnerVerb.Archive)
        {
            Database.Validate(errors);
        }
        if (verb is RunnerVerb.Verify)
        {
            Verify.Validate(errors);
        }
        if (verb is RunnerVerb.Restore)
        {
            Restore.Validate(errors);
        }
        if (verb is RunnerVerb.Backup or RunnerVerb.Forget)
        {
            Retention.Validate(errors, required: verb is RunnerVerb.Forget);
        }
        PointInTime.Validate(errors);
        Maintenance.Validate(errors);
        Reporting.Validate(errors);
        return errors;
    }

    internal static void Require(List<string> errors, string? value, string name, string hint)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add($"{name} is not set: set it to {hint}");
        }
    }

    internal static string NameOf<T>(string property) =>
        EnvContract.Variables<T>().Single(v => v.Path[^1].Name == property).Name;
}

/// <summary>The runner's verbs (its first argument).</summary>
public enum RunnerVerb
{
    /// <summary>Dump each database into its own snapshot, then apply the retention policy (if any).</summary>
    Backup,
    /// <summary>Stream chosen snapshots back into the database.</summary>
    Restore,
    /// <summary>restic check (with RESTIC_CHECK_READ_DATA_SUBSET): the repository's integrity.</summary>
    Check,
    /// <summary>Apply the configuration's retention policy on its own (RETENTION_*).</summary>
    Forget,
    /// <summary>Remove locks that no live session can hold (see REPOSITORY_EXCLUSIVE).</summary>
    Unlock,
    /// <summary>Restore the newest snapshots into scratch databases, prove them equal to the backup, run VERIFY_CHECKS, drop them.</summary>
    Verify,
    /// <summary>
    /// Rotate the server's binary log (FLUSH BINARY LOGS) and store every closed log not archived yet, one at a
    /// time; report the recoverable window and any gap.
    /// </summary>
    Archive,
}
