using Azure.Identity;
using k8s;
using Serverless.Backup.Functions.Settings;

namespace Serverless.Backup.Functions.Cluster;

/// <summary>Builds the Kubernetes client the settings ask for: in-cluster, a kubeconfig file, or AKS with a managed identity.</summary>
public static class ClusterConnection
{
    /// <summary>Null in folder mode.</summary>
    public static Kubernetes? Create(FunctionsOptions options) => options.Cluster switch
    {
        ClusterMode.InCluster => new Kubernetes(KubernetesClientConfiguration.InClusterConfig()),
        ClusterMode.Kubeconfig => new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(options.Kubeconfig)),
        ClusterMode.Aks => new Kubernetes(new KubernetesClientConfiguration
        {
            Host = options.AksApiServer!.ToString(),
            TokenProvider = new AksTokenProvider(options.AksClientId is { } clientId
                ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
                : new DefaultAzureCredential()),
        }),
        _ => null,
    };
}
