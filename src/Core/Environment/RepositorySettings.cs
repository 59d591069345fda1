namespace Serverless.Backup.Core.Environment;

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
