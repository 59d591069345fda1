using Azure.Identity;
using k8s;
using Serverless.Backup.Control.Settings;

namespace Serverless.Backup.Control.Cluster;

/// <summary>The Kubernetes client BACKUP_CLUSTER asks for: in-cluster, a kubeconfig file, or AKS with a managed identity.</summary>
public static class ClusterConnection
{
    /// <summary>Null in folder mode.</summary>
    public static Kubernetes? Create(AppSettings settings) => settings.Cluster switch
    {
        ClusterMode.InCluster => new Kubernetes(KubernetesClientConfiguration.InClusterConfig()),
        ClusterMode.Kubeconfig => new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(settings.Kubeconfig)),
        ClusterMode.Aks => new Kubernetes(new KubernetesClientConfiguration
        {
            Host = settings.AksApiServer,
            TokenProvider = new AksTokenProvider(settings.AksClientId is { } clientId
                ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
                : new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned)),
        }),
        _ => null,
    };
}
