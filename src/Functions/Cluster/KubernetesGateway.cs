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
}
