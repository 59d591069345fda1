using k8s;
using k8s.Models;
using Serverless.Backup.Control.Resources;

namespace Serverless.Backup.Control.Cluster;

/// <summary>
/// What the control plane needs of a cluster. Two implementations: the Kubernetes API (KubernetesClient) and
/// a folder of YAML documents with local runner processes. Both keep the API's semantics: a create of an
/// existing name is refused (false), a status write with a stale resourceVersion throws
/// <see cref="ConflictException"/>, a missing object is null.
/// </summary>
public interface IClusterGateway
{
    /// <summary>The object, or null; <see cref="InvalidResourceException"/> when it exists but cannot be read.</summary>
    Task<T?> GetAsync<T>(string @namespace, string name, CancellationToken cancellationToken) where T : class, IKubernetesObject<V1ObjectMeta>, new();

    /// <summary>
    /// One list call: all namespaces when <paramref name="namespace"/> is null, filtered by labels. Resources that
    /// cannot be read are in <see cref="ResourceListing{T}.Unreadable"/>, never an exception for the whole list.
    /// </summary>
    Task<ResourceListing<T>> ListAsync<T>(string? @namespace, IReadOnlyDictionary<string, string>? labels, CancellationToken cancellationToken) where T : class, IKubernetesObject<V1ObjectMeta>, new();

    /// <summary>Creates the object; false when one of that name exists. Sets uid and resourceVersion on <paramref name="resource"/>.</summary>
    Task<bool> TryCreateAsync<T>(T resource, CancellationToken cancellationToken) where T : class, IKubernetesObject<V1ObjectMeta>, new();

    /// <summary>Writes the status subresource; the spec is not changed. Throws ConflictException on a stale resourceVersion.</summary>
    Task<T> ReplaceStatusAsync<T>(T resource, CancellationToken cancellationToken) where T : class, IKubernetesObject<V1ObjectMeta>, new();

    /// <summary>Deletes the object and what it owns (its Job and Secret); false when there was none.</summary>
    Task<bool> DeleteAsync<T>(string @namespace, string name, CancellationToken cancellationToken) where T : class, IKubernetesObject<V1ObjectMeta>, new();

    Task<bool> TryCreateSecretAsync(V1Secret secret, CancellationToken cancellationToken);

    Task<bool> TryCreateJobAsync(V1Job job, CancellationToken cancellationToken);

    Task<JobState?> GetJobAsync(string @namespace, string name, CancellationToken cancellationToken);

    /// <summary>
    /// Whether the Job exists and is owned by the object with <paramref name="uid"/> (its metadata.ownerReferences):
    /// a Job of the same name may belong to a session of another kind.
    /// </summary>
    Task<bool> JobOwnedByAsync(string @namespace, string name, string uid, CancellationToken cancellationToken);
}

/// <summary>What a Job is doing, with the reason when it failed (Job condition, or the pod's termination message).</summary>
public sealed record JobState(JobOutcome Outcome, string? Reason = null, string? Message = null);

public enum JobOutcome
{
    Running,
    Succeeded,
    Failed,
}

/// <summary>The object changed since it was read (HTTP 409): read it again and retry.</summary>
public sealed class ConflictException(string message) : Exception(message);

/// <summary>The resource type of a model class.</summary>
public static class ResourceTypes
{
    public static ResourceType Of<T>() => typeof(T).Name switch
    {
        nameof(Repository) => ResourceType.Repository,
        nameof(BackupConfiguration) => ResourceType.BackupConfiguration,
        nameof(BackupSession) => ResourceType.BackupSession,
        nameof(RestoreSession) => ResourceType.RestoreSession,
        nameof(MaintenanceSession) => ResourceType.MaintenanceSession,
        nameof(AppBinding) => ResourceType.AppBinding,
        _ => throw new NotSupportedException($"{typeof(T).Name} is not a resource of this app"),
    };
}
