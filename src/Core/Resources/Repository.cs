namespace Serverless.Backup.Core.Resources;

/// <summary>A restic repository on Azure Blob, S3 or a volume (Stash's Repository, same field names).</summary>
public sealed class Repository : CustomResource<RepositorySpec, RepositoryStatus>
{
    public Repository()
    {
        ApiVersion = Api.ApiVersion;
        Kind = ResourceType.Repository.Kind;
    }
}

public sealed record RepositorySpec
{
    public BackendSpec Backend { get; init; } = new();
    /// <summary>Whether deleting the Repository deletes its data (not acted on by this system; kept for Stash compatibility).</summary>
    public bool WipeOut { get; init; }
}

public sealed record BackendSpec
{
    /// <summary>The Secret with RESTIC_PASSWORD and the storage credentials (AZURE_ACCOUNT_KEY, AWS_SECRET_ACCESS_KEY…).</summary>
    public string? StorageSecretName { get; init; }
    public AzureSpec? Azure { get; init; }
    public S3Spec? S3 { get; init; }
    public LocalSpec? Local { get; init; }
}

public sealed record AzureSpec
{
    public string? Container { get; init; }
    public string? Prefix { get; init; }
    /// <summary>The storage account (else AZURE_ACCOUNT_NAME in the storage secret).</summary>
    public string? StorageAccount { get; init; }
    /// <summary>The blob endpoint URL, for sovereign clouds, private endpoints or Azurite.</summary>
    public string? Endpoint { get; init; }
    public int? MaxConnections { get; init; }
}

public sealed record S3Spec
{
    public string? Endpoint { get; init; }
    public string? Bucket { get; init; }
    public string? Prefix { get; init; }
    public string? Region { get; init; }
    public bool ForcePathStyle { get; init; }
}

public sealed record LocalSpec
{
    /// <summary>The folder inside the runner (a mounted volume in a cluster; a plain folder in folder mode).</summary>
    public string? MountPath { get; init; }
    public string? SubPath { get; init; }
    /// <summary>In a cluster: the PersistentVolumeClaim mounted at <see cref="MountPath"/>.</summary>
    public string? ClaimName { get; init; }
}

public sealed record RepositoryStatus
{
    public DateTimeOffset? LastBackupTime { get; init; }
    public bool? Integrity { get; init; }
    public DateTimeOffset? LastCheckTime { get; init; }
    public string? TotalSize { get; init; }
    public long? SnapshotCount { get; init; }
    public long? SnapshotsRemovedOnLastCleanup { get; init; }
}
