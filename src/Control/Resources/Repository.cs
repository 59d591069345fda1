using Serverless.Backup.Core;

namespace Serverless.Backup.Control.Resources;

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
    /// <summary>The scheduled integrity check (default: weekly, structure only).</summary>
    public CheckSpec? Check { get; init; }
}

/// <summary>When and how thoroughly the repository's integrity is checked (restic check).</summary>
public sealed record CheckSpec
{
    /// <summary>The default: Sundays at 03:00.</summary>
    public const string DefaultSchedule = "0 3 * * 0";

    /// <summary>Standard 5-field cron (default <see cref="DefaultSchedule"/>).</summary>
    public string? Schedule { get; init; }
    public string? TimeZone { get; init; }
    /// <summary>restic's --read-data-subset, such as 10% or 1/5 (default: none, structure only).</summary>
    public string? ReadDataSubset { get; init; }
    public bool Paused { get; init; }
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
    /// <summary>What the last check found, when it found damage.</summary>
    public string? IntegrityMessage { get; init; }
    public DateTimeOffset? LastCheckTime { get; init; }
    /// <summary>The last check schedule slot a session was created for.</summary>
    public DateTimeOffset? LastCheckScheduleTime { get; init; }
    /// <summary>Human-readable, as Stash writes it (for example "1.2 GiB").</summary>
    public string? TotalSize { get; init; }
    public long? TotalSizeBytes { get; init; }
    public long? SnapshotCount { get; init; }
    public long? SnapshotsRemovedOnLastCleanup { get; init; }
    /// <summary>When any runner last reported on the repository.</summary>
    public DateTimeOffset? Updated { get; init; }
    /// <summary>The newest snapshots, newest first: the HTTP API lists these without running restic.</summary>
    public List<RepositorySnapshot>? RecentSnapshots { get; init; }
    /// <summary>Ready, or Invalid while spec.check is wrong (the Valid condition says which field and the fix).</summary>
    public string? Phase { get; init; }
    public List<ResourceCondition>? Conditions { get; init; }
}

public sealed record RepositorySnapshot
{
    public string? Id { get; init; }
    public DateTimeOffset? Time { get; init; }
    public string? Database { get; init; }
    public string? Session { get; init; }
    public string? Configuration { get; init; }
    public long? Size { get; init; }
}
