namespace Serverless.Backup.Core.Resources;

/// <summary>A restic repository (Stash's Repository): where backups go and the secret that opens it.</summary>
public sealed class Repository : Resource<RepositorySpec, RepositoryStatus>
{
    public const string KindName = "Repository";
    public const string Plural = "repositories";

    public Repository() => Kind = KindName;
}

public sealed record RepositorySpec
{
    public RepositoryBackendSpec Backend { get; init; } = new();
    public bool WipeOut { get; init; }
}

/// <summary>Stash's <c>spec.backend</c>: one of azure, s3 or local, plus the storage secret (RESTIC_PASSWORD and credentials).</summary>
public sealed record RepositoryBackendSpec
{
    public string? StorageSecretName { get; init; }
    public AzureBackendSpec? Azure { get; init; }
    public S3BackendSpec? S3 { get; init; }
    public LocalBackendSpec? Local { get; init; }
}

public sealed record AzureBackendSpec
{
    public string Container { get; init; } = "";
    public string? Prefix { get; init; }
    /// <summary>The blob service URL (default: from the account name); used for sovereign clouds and emulators.</summary>
    public string? Endpoint { get; init; }
    public int? MaxConnections { get; init; }
}

public sealed record S3BackendSpec
{
    public string? Endpoint { get; init; }
    public string Bucket { get; init; } = "";
    public string? Prefix { get; init; }
    public string? Region { get; init; }
    public bool InsecureTls { get; init; }
    public bool ForcePathStyle { get; init; }
}

public sealed record LocalBackendSpec
{
    public string MountPath { get; init; } = "";
    public string? SubPath { get; init; }
}

public sealed record RepositoryStatus
{
    public DateTimeOffset? LastBackupTime { get; init; }
    public bool? Integrity { get; init; }
    public string? TotalSize { get; init; }
    public long? SnapshotCount { get; init; }
}
