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

    public static RunnerSettings FromProcessEnvironment() => EnvContract.FromProcessEnvironment<RunnerSettings>();

    /// <summary>Checks what the verb needs; each message names the variable and how to fix it. Empty when valid.</summary>
    public IReadOnlyList<string> Validate(RunnerVerb verb)
    {
        var errors = new List<string>();
        Session.Validate(errors);
        Repository.Validate(errors);
        if (verb is RunnerVerb.Backup or RunnerVerb.Restore)
        {
            Database.Validate(errors);
        }
        if (verb is RunnerVerb.Restore)
        {
            Restore.Validate(errors);
        }
        if (verb is RunnerVerb.Backup or RunnerVerb.Forget)
        {
            Retention.Validate(errors, required: verb is RunnerVerb.Forget);
        }
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
}

/// <summary>Who the run is for: these become restic tags and label every event and metric.</summary>
public sealed record SessionSettings
{
    [Env("BACKUP_NAMESPACE", Hint = "the Kubernetes namespace of the session")]
    public string Namespace { get; init; } = "default";

    [Env("BACKUP_SESSION", Hint = "the name of the BackupSession or RestoreSession (a Kubernetes name)")]
    public string? Name { get; init; }

    [Env("BACKUP_CONFIGURATION", Hint = "the name of the BackupConfiguration the snapshots belong to")]
    public string? Configuration { get; init; }

    [Env("BACKUP_REPOSITORY_NAME", Hint = "the name of the Repository resource")]
    public string? RepositoryName { get; init; }

    /// <summary>
    /// The time recorded in the backup's snapshots instead of now (restic backup --time): for imports of older
    /// dumps and for tests of retention with a fixed clock. ISO-8601 with an offset, such as 2026-11-15T02:00:00Z.
    /// </summary>
    [Env("BACKUP_SNAPSHOT_TIME", Hint = "an ISO-8601 time with an offset such as 2026-11-15T02:00:00Z, or leave it unset for now")]
    public string? SnapshotTime { get; init; }

    /// <summary><see cref="SnapshotTime"/> parsed, in UTC; null when unset or malformed (Validate reports that).</summary>
    public DateTimeOffset? SnapshotTimeUtc =>
        SnapshotTime is { } text && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var time)
            ? time.ToUniversalTime()
            : null;

    internal void Validate(List<string> errors)
    {
        RunnerSettings.Require(errors, Name, RunnerSettings.NameOf<SessionSettings>(nameof(Name)), "the name of the session");
        if (Name is not null && !Names.IsDnsSubdomain(Name))
        {
            errors.Add($"{RunnerSettings.NameOf<SessionSettings>(nameof(Name))}='{Name}' is not valid: set it to a lower-case Kubernetes name (letters, digits, '-', '.')");
        }
        if (SnapshotTime is not null && SnapshotTimeUtc is null)
        {
            errors.Add($"{RunnerSettings.NameOf<SessionSettings>(nameof(SnapshotTime))}='{SnapshotTime}' is not valid: set it to an ISO-8601 time such as 2026-11-15T02:00:00Z, or leave it unset");
        }
    }
}

/// <summary>Where restic keeps the repository.</summary>
public enum RepositoryBackend
{
    Local,
    Azure,
    S3,
}

/// <summary>The restic repository: backend, location, credentials and the encryption password.</summary>
public sealed record RepositorySettings
{
    [Env("REPOSITORY_BACKEND", Hint = "local, azure or s3")]
    public RepositoryBackend? Backend { get; init; }

    [Env("REPOSITORY_PATH", Hint = "the folder of a local repository")]
    public string? Path { get; init; }

    [Env("REPOSITORY_PREFIX", Hint = "the path inside the container or bucket, such as mysql/prod")]
    public string? Prefix { get; init; }

    [Env("RESTIC_PASSWORD", Secret = true, Hint = "the repository's encryption password (from the storage secret)")]
    public string? Password { get; init; }

    [Env("RESTIC_COMPRESSION", Hint = "auto, off or max")]
    public string Compression { get; init; } = "auto";

    // Azure Blob: the secret keys are Stash's, so an existing Stash storage secret works unchanged.
    [Env("AZURE_ACCOUNT_NAME", Hint = "the storage account name")]
    public string? AzureAccountName { get; init; }

    [Env("AZURE_ACCOUNT_KEY", Secret = true, Hint = "the storage account key, or leave it unset to use a SAS or workload identity")]
    public string? AzureAccountKey { get; init; }

    [Env("AZURE_ACCOUNT_SAS", Secret = true, Hint = "a SAS token for the container")]
    public string? AzureSasToken { get; init; }

    [Env("AZURE_STORAGE_CONNECTION_STRING", Secret = true, Hint = "a storage connection string")]
    public string? AzureConnectionString { get; init; }

    [Env("AZURE_ENDPOINT", Hint = "the blob service URL, such as https://ACCOUNT.blob.core.windows.net (default from the account name)")]
    public string? AzureEndpoint { get; init; }

    [Env("AZURE_CONTAINER", Hint = "the blob container name (lower case, 3-63 characters)")]
    public string? AzureContainer { get; init; }

    // S3 and S3-compatible stores.
    [Env("S3_ENDPOINT", Hint = "the S3 endpoint URL, such as https://s3.eu-west-1.amazonaws.com (default: AWS)")]
    public string? S3Endpoint { get; init; }

    [Env("S3_BUCKET", Hint = "the bucket name")]
    public string? S3Bucket { get; init; }

    [Env("S3_REGION", Hint = "the bucket's region, such as us-east-1")]
    public string S3Region { get; init; } = "us-east-1";

    [Env("S3_FORCE_PATH_STYLE", Hint = "true for path-style URLs (most S3-compatible servers), false for virtual-hosted")]
    public bool S3ForcePathStyle { get; init; }

    [Env("AWS_ACCESS_KEY_ID", Hint = "the access key id, or leave it unset for the default credential chain")]
    public string? AwsAccessKeyId { get; init; }

    [Env("AWS_SECRET_ACCESS_KEY", Secret = true, Hint = "the secret access key")]
    public string? AwsSecretAccessKey { get; init; }

    [Env("AWS_SESSION_TOKEN", Secret = true, Hint = "a session token for temporary credentials")]
    public string? AwsSessionToken { get; init; }

    /// <summary>
    /// How long an object store may take nothing while the run waits on it (requests failing or unanswered, none
    /// succeeding) before the run fails as StorageUnreachable instead of waiting out every retry.
    /// </summary>
    [Env("STORAGE_STALL_TIMEOUT_SECONDS", Hint = "how long the storage may accept nothing while the run waits on it, in whole seconds above 0 (default 180)")]
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(180);

    internal void Validate(List<string> errors)
    {
        string N(string p) => RunnerSettings.NameOf<RepositorySettings>(p);
        RunnerSettings.Require(errors, Password, N(nameof(Password)), "the repository's encryption password");
        if (Compression is not ("auto" or "off" or "max"))
        {
            errors.Add($"{N(nameof(Compression))}='{Compression}' is not valid: set it to auto, off or max");
        }
        if (StallTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{N(nameof(StallTimeout))}={StallTimeout.TotalSeconds:0} is not valid: set it to a whole number of seconds above 0, such as 180");
        }
        switch (Backend)
        {
            case null:
                errors.Add($"{N(nameof(Backend))} is not set: set it to local, azure or s3");
                break;
            case RepositoryBackend.Local:
                RunnerSettings.Require(errors, Path, N(nameof(Path)), "the folder of the local repository");
                break;
            case RepositoryBackend.Azure:
                RunnerSettings.Require(errors, AzureContainer, N(nameof(AzureContainer)), "the blob container name");
                if (AzureConnectionString is null && AzureAccountName is null && AzureEndpoint is null)
                {
                    errors.Add($"{N(nameof(AzureAccountName))} is not set: set it to the storage account name (or set {N(nameof(AzureEndpoint))} or {N(nameof(AzureConnectionString))})");
                }
                if (AzureContainer is not null && !Names.IsAzureContainer(AzureContainer))
                {
                    errors.Add($"{N(nameof(AzureContainer))}='{AzureContainer}' is not valid: set it to 3-63 lower-case letters, digits and '-'");
                }
                if (AzureEndpoint is not null && !Uri.TryCreate(AzureEndpoint, UriKind.Absolute, out _))
                {
                    errors.Add($"{N(nameof(AzureEndpoint))}='{AzureEndpoint}' is not valid: set it to an absolute URL such as https://ACCOUNT.blob.core.windows.net");
                }
                break;
            case RepositoryBackend.S3:
                RunnerSettings.Require(errors, S3Bucket, N(nameof(S3Bucket)), "the bucket name");
                if (S3Endpoint is not null && !Uri.TryCreate(S3Endpoint, UriKind.Absolute, out _))
                {
                    errors.Add($"{N(nameof(S3Endpoint))}='{S3Endpoint}' is not valid: set it to an absolute URL such as https://s3.amazonaws.com");
                }
                if (AwsAccessKeyId is not null && AwsSecretAccessKey is null)
                {
                    errors.Add($"{N(nameof(AwsSecretAccessKey))} is not set: set it to the secret of access key {AwsAccessKeyId}");
                }
                break;
        }
    }
}

/// <summary>Where the runner reports: the webhook of the Functions app and the Pushgateway.</summary>
public sealed record ReportingSettings
{
    [Env("WEBHOOK_URL", Hint = "the Functions app's SessionEvents URL, or leave it unset")]
    public string? WebhookUrl { get; init; }

    [Env("WEBHOOK_TOKEN", Secret = true, Hint = "the session's webhook token (from the session's Secret)")]
    public string? WebhookToken { get; init; }

    [Env("WEBHOOK_RETRY_SECONDS", Hint = "how long to keep retrying the final event, in whole seconds (default 120)")]
    public TimeSpan WebhookRetry { get; init; } = TimeSpan.FromSeconds(120);

    [Env("PUSHGATEWAY_URL", Hint = "the Pushgateway base URL such as http://pushgateway:9091, or leave it unset")]
    public string? PushgatewayUrl { get; init; }

    [Env("RUNNER_TERMINATION_MESSAGE_PATH", Hint = "the file a failed run writes its reason and message to (default /dev/termination-log, the kubelet's; written only when it exists)")]
    public string TerminationMessagePath { get; init; } = "/dev/termination-log";

    [Env("RUNNER_PROGRESS_INTERVAL_SECONDS", Hint = "seconds between progress events, a whole number (default 5)")]
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(5);

    internal void Validate(List<string> errors)
    {
        string N(string p) => RunnerSettings.NameOf<ReportingSettings>(p);
        if (WebhookUrl is not null && !Uri.TryCreate(WebhookUrl, UriKind.Absolute, out _))
        {
            errors.Add($"{N(nameof(WebhookUrl))}='{WebhookUrl}' is not valid: set it to an absolute http(s) URL");
        }
        if (WebhookUrl is not null && WebhookToken is null)
        {
            errors.Add($"{N(nameof(WebhookToken))} is not set: set it to the session's webhook token (the Job takes it from the session's Secret)");
        }
        if (PushgatewayUrl is not null && !Uri.TryCreate(PushgatewayUrl, UriKind.Absolute, out _))
        {
            errors.Add($"{N(nameof(PushgatewayUrl))}='{PushgatewayUrl}' is not valid: set it to an absolute URL such as http://pushgateway:9091");
        }
        if (ProgressInterval <= TimeSpan.Zero)
        {
            errors.Add($"{N(nameof(ProgressInterval))} is not valid: set it to a whole number of seconds above 0");
        }
    }
}

/// <summary>
/// The configuration's retention policy (Stash's retentionPolicy). It applies per configuration and database:
/// snapshots of other configurations in a shared repository are never touched. Unset (every keep empty) means
/// no retention.
/// </summary>
public sealed record RetentionSettings
{
    [Env("RETENTION_KEEP_LAST", Hint = "the number of newest snapshots to keep per database, a whole number above 0")]
    public int? KeepLast { get; init; }

    [Env("RETENTION_KEEP_HOURLY", Hint = "the number of hourly snapshots to keep, a whole number above 0")]
    public int? KeepHourly { get; init; }

    [Env("RETENTION_KEEP_DAILY", Hint = "the number of daily snapshots to keep, a whole number above 0")]
    public int? KeepDaily { get; init; }

    [Env("RETENTION_KEEP_WEEKLY", Hint = "the number of weekly snapshots to keep, a whole number above 0")]
    public int? KeepWeekly { get; init; }

    [Env("RETENTION_KEEP_MONTHLY", Hint = "the number of monthly snapshots to keep, a whole number above 0")]
    public int? KeepMonthly { get; init; }

    [Env("RETENTION_KEEP_YEARLY", Hint = "the number of yearly snapshots to keep, a whole number above 0")]
    public int? KeepYearly { get; init; }

    [Env("RETENTION_KEEP_TAGS", Hint = "a comma-separated list of restic tags whose snapshots are always kept")]
    public IReadOnlyList<string> KeepTags { get; init; } = [];

    [Env("RETENTION_PRUNE", Hint = "true to prune (free the space of) forgotten data, false to only forget")]
    public bool Prune { get; init; }

    [Env("RETENTION_DRY_RUN", Hint = "true to report what would be removed without removing anything")]
    public bool DryRun { get; init; }

    /// <summary>Whether any keep rule is set (no rule: no retention).</summary>
    public bool IsSet => KeepLast is not null || KeepHourly is not null || KeepDaily is not null || KeepWeekly is not null
        || KeepMonthly is not null || KeepYearly is not null || KeepTags.Count > 0;

    internal void Validate(List<string> errors, bool required)
    {
        string N(string p) => RunnerSettings.NameOf<RetentionSettings>(p);
        (int? Value, string Property)[] keeps =
        [
            (KeepLast, nameof(KeepLast)), (KeepHourly, nameof(KeepHourly)), (KeepDaily, nameof(KeepDaily)),
            (KeepWeekly, nameof(KeepWeekly)), (KeepMonthly, nameof(KeepMonthly)), (KeepYearly, nameof(KeepYearly)),
        ];
        foreach (var (value, property) in keeps.Where(k => k.Value < 0))
        {
            errors.Add($"{N(property)}={value} is negative: set it to a whole number above 0, or leave it unset");
        }
        if ((IsSet || required) && keeps.All(k => k.Value is null or <= 0) && KeepTags.Count == 0)
        {
            errors.Add($"{N(nameof(KeepLast))} and every other RETENTION_KEEP_* are unset or zero, which would remove every snapshot: set at least one of them above 0");
        }
    }
}

/// <summary>Repository maintenance: lock handling for every verb, and the integrity check.</summary>
public sealed record MaintenanceSettings
{
    [Env("REPOSITORY_EXCLUSIVE", Hint = "true when no other session uses the repository (the control plane knows): every lock is then removed; false removes only locks restic calls stale")]
    public bool Exclusive { get; init; }

    [Env("RESTIC_CHECK_READ_DATA_SUBSET", Hint = "the part of the data the check reads, such as 10% or 1/5 (default: none, structure only)")]
    public string? ReadDataSubset { get; init; }

    internal void Validate(List<string> errors)
    {
        if (ReadDataSubset is { } subset && !IsSubset(subset))
        {
            errors.Add($"{RunnerSettings.NameOf<MaintenanceSettings>(nameof(ReadDataSubset))}='{subset}' is not valid: set it to a percentage such as 10% or a part such as 1/5");
        }
    }

    /// <summary>restic's forms: n/t (1 &lt;= n &lt;= t), a percentage above 0 and at most 100, or a size such as 500M.</summary>
    public static bool IsSubset(string subset)
    {
        var slash = subset.Split('/');
        if (slash.Length == 2)
        {
            return int.TryParse(slash[0], out var n) && int.TryParse(slash[1], out var t) && n >= 1 && n <= t;
        }
        if (subset.EndsWith('%'))
        {
            return double.TryParse(subset[..^1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var p) && p > 0 && p <= 100;
        }
        return subset.Length > 1 && "KMGT".Contains(char.ToUpperInvariant(subset[^1])) && long.TryParse(subset[..^1], out var size) && size > 0;
    }
}
