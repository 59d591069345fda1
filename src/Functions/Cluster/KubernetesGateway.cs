using System.Net;
using k8s;
using k8s.Autorest;
using Serverless.Backup.Core.Resources;

namespace Serverless.Backup.Functions.Cluster;

/// <summary>The gateway over the Kubernetes API, with the real KubernetesClient (custom objects API).</summary>
public sealed class KubernetesGateway(IKubernetes kubernetes) : IClusterGateway
{
    private const string G = ResourceGroup.Group;
    private const string V = ResourceGroup.Version;

    public async Task<IReadOnlyList<BackupConfiguration>> ListConfigurationsAsync(CancellationToken cancellationToken)
    {
        var list = await kubernetes.CustomObjects.ListClusterCustomObjectAsync<ResourceList<BackupConfiguration>>(G, V, BackupConfiguration.Plural, cancellationToken: cancellationToken);
        return list.Items.ToList();
    }

    public async Task<IReadOnlyList<BackupSession>> ListBackupSessionsAsync(CancellationToken cancellationToken)
    {
        var list = await kubernetes.CustomObjects.ListClusterCustomObjectAsync<ResourceList<BackupSession>>(G, V, BackupSession.Plural, cancellationToken: cancellationToken);
        return list.Items.ToList();
    }

    public async Task<BackupSession?> GetBackupSessionAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await kubernetes.CustomObjects.GetNamespacedCustomObjectAsync<BackupSession>(G, V, @namespace, BackupSession.Plural, name, cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<BackupSession?> CreateBackupSessionAsync(BackupSession session, CancellationToken cancellationToken)
    {
        try
        {
            return await kubernetes.CustomObjects.CreateNamespacedCustomObjectAsync<BackupSession>(session, G, V, session.Metadata.NamespaceProperty ?? "default", BackupSession.Plural, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            return null;
        }
    }

    public async Task<BackupSession> ReplaceBackupSessionStatusAsync(BackupSession session, CancellationToken cancellationToken)
    {
        try
        {
            return await kubernetes.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync<BackupSession>(session, G, V, session.Metadata.NamespaceProperty ?? "default", BackupSession.Plural, session.Metadata.Name, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            throw new ConflictException($"BackupSession {session.Key} changed since it was read", e);
        }
    }

    public async Task DeleteBackupSessionAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        try
        {
            await kubernetes.CustomObjects.DeleteNamespacedCustomObjectAsync(G, V, @namespace, BackupSession.Plural, name, propagationPolicy: "Background", cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // Already gone: another instance trimmed it.
        }
    }

    public async Task ReplaceConfigurationStatusAsync(BackupConfiguration configuration, CancellationToken cancellationToken)
    {
        try
        {
            await kubernetes.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync<BackupConfiguration>(configuration, G, V, configuration.Metadata.NamespaceProperty ?? "default", BackupConfiguration.Plural, configuration.Metadata.Name, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            throw new ConflictException($"BackupConfiguration {configuration.Key} changed since it was read", e);
        }
    }

    public Task<BackupConfiguration?> GetConfigurationAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        GetAsync<BackupConfiguration>(G, V, BackupConfiguration.Plural, @namespace, name, cancellationToken);

    public Task<Repository?> GetRepositoryAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        GetAsync<Repository>(G, V, Repository.Plural, @namespace, name, cancellationToken);

    public Task<AppBinding?> GetAppBindingAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        GetAsync<AppBinding>(ResourceGroup.AppBindingGroup, "v1alpha1", AppBinding.Plural, @namespace, name, cancellationToken);

    public async Task CreateJobAsync(Jobs.JobPlan plan, CancellationToken cancellationToken)
    {
        var ns = plan.Job.Metadata.NamespaceProperty;
        try
        {
            await kubernetes.CoreV1.CreateNamespacedSecretAsync(plan.Secret, ns, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Made by an earlier reconcile; the token is derived, so it is the same.
        }
        try
        {
            await kubernetes.BatchV1.CreateNamespacedJobAsync(plan.Job, ns, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Made by an earlier reconcile or another instance.
        }
    }

    public async Task<k8s.Models.V1Job?> GetJobAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await kubernetes.BatchV1.ReadNamespacedJobAsync(name, @namespace, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<T?> GetAsync<T>(string group, string version, string plural, string @namespace, string name, CancellationToken cancellationToken) where T : class
    {
        try
        {
            return await kubernetes.CustomObjects.GetNamespacedCustomObjectAsync<T>(group, version, @namespace, plural, name, cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}
