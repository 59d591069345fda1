namespace Serverless.Backup.Functions.Settings;

/// <summary>How the app reaches its resources (BACKUP_CLUSTER).</summary>
public enum ClusterMode
{
    /// <summary>A folder of YAML documents and the runner as a local child process (the default).</summary>
    Folder,
    /// <summary>The in-cluster service account.</summary>
    InCluster,
    /// <summary>A kubeconfig file (BACKUP_KUBECONFIG).</summary>
    Kubeconfig,
    /// <summary>An AKS API server with an Entra ID token from a managed identity.</summary>
    Aks,
}
