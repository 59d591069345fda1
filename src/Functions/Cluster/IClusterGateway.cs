using Serverless.Backup.Core.Resources;

namespace Serverless.Backup.Functions.Cluster;

/// <summary>
/// Where the resources live: the Kubernetes API, or a local folder of the same YAML documents. The scheduling,
/// reconcile and webhook logic is written once over this contract. Every method takes the CancellationToken last.
/// </summary>
public interface IClusterGateway
{
    /// <summary>Every BackupConfiguration of every namespace, in one list call.</summary>
    Task<IReadOnlyList<BackupConfiguration>> ListConfigurationsAsync(CancellationToken cancellationToken);

    /// <summary>Every BackupSession of every namespace, in one list call.</summary>
    Task<IReadOnlyList<BackupSession>> ListBackupSessionsAsync(CancellationToken cancellationToken);

    /// <summary>The session, or null when it does not exist.</summary>
    Task<BackupSession?> GetBackupSessionAsync(string @namespace, string name, CancellationToken cancellationToken);

    /// <summary>Creates the session and returns it as stored (with uid); null when a session of that name exists already (409).</summary>
    Task<BackupSession?> CreateBackupSessionAsync(BackupSession session, CancellationToken cancellationToken);

    /// <summary>Writes the status subresource; throws <see cref="ConflictException"/> when the session changed since it was read.</summary>
    Task<BackupSession> ReplaceBackupSessionStatusAsync(BackupSession session, CancellationToken cancellationToken);

    /// <summary>Deletes the session (its Job and Secret go with it, through owner references); a missing one is fine.</summary>
    Task DeleteBackupSessionAsync(string @namespace, string name, CancellationToken cancellationToken);

    /// <summary>Writes a configuration's status subresource; throws <see cref="ConflictException"/> on a stale resourceVersion.</summary>
    Task ReplaceConfigurationStatusAsync(BackupConfiguration configuration, CancellationToken cancellationToken);

    Task<BackupConfiguration?> GetConfigurationAsync(string @namespace, string name, CancellationToken cancellationToken);

    Task<Repository?> GetRepositoryAsync(string @namespace, string name, CancellationToken cancellationToken);

    Task<AppBinding?> GetAppBindingAsync(string @namespace, string name, CancellationToken cancellationToken);

    /// <summary>Creates the session's Secret, then its Job; either existing already (409) is fine.</summary>
    Task CreateJobAsync(Jobs.JobPlan plan, CancellationToken cancellationToken);

    /// <summary>The Job, or null when it does not exist (never created, or deleted).</summary>
    Task<k8s.Models.V1Job?> GetJobAsync(string @namespace, string name, CancellationToken cancellationToken);
}
