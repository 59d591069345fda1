using Serverless.Backup.Core.Environment;

namespace Serverless.Backup.Control.Settings;

/// <summary>How the app reaches the cluster.</summary>
public enum ClusterMode
{
    /// <summary>Resources in a folder of YAML documents; Jobs run as local runner processes (the embedded default).</summary>
    Folder,
    /// <summary>The in-cluster service account.</summary>
    InCluster,
    /// <summary>A kubeconfig file (BACKUP_KUBECONFIG).</summary>
    Kubeconfig,
    /// <summary>An AKS API server with an Entra ID token from the app's managed identity.</summary>
    Aks,
}

/// <summary>The app settings, read at start-up with the same contract machinery as the runner's (errors name the setting).</summary>
public sealed record AppSettings
{
    [Env("BACKUP_CLUSTER", Hint = "folder, incluster, kubeconfig or aks")]
    public ClusterMode Cluster { get; init; } = ClusterMode.Folder;

    [Env("BACKUP_KUBECONFIG", Hint = "the path of a kubeconfig file")]
    public string? Kubeconfig { get; init; }

    [Env("BACKUP_AKS_API_SERVER", Hint = "the https URL of the AKS API server")]
    public string? AksApiServer { get; init; }

    [Env("BACKUP_AKS_CLIENT_ID", Hint = "the client id of a user-assigned managed identity, or leave it unset for the system-assigned one")]
    public string? AksClientId { get; init; }

    [Env("BACKUP_RESOURCES_FOLDER", Hint = "the folder of YAML resources in folder mode")]
    public string? ResourcesFolder { get; init; }

    [Env("BACKUP_RUNNER_IMAGE", Hint = "the runner image, such as myregistry.azurecr.io/mysql-backup-runner:1.0.0")]
    public string RunnerImage { get; init; } = "mysql-backup-runner:latest";

    [Env("BACKUP_RUNNER_COMMAND", Separator = ' ', Hint = "the runner command in folder mode, such as /opt/backup-runner or 'dotnet /opt/backup-runner.dll'")]
    public IReadOnlyList<string> RunnerCommand { get; init; } = ["backup-runner"];

    [Env("BACKUP_WEBHOOK_BASE_URL", Hint = "the URL runners call back, such as https://APP.azurewebsites.net")]
    public string? WebhookBaseUrl { get; init; }

    [Env("BACKUP_WEBHOOK_MASTER_KEY", Secret = true, Hint = "a random secret of at least 32 characters (a Key Vault reference in Azure)")]
    public string? WebhookMasterKey { get; init; }

    [Env("BACKUP_PUSHGATEWAY_URL", Hint = "the Pushgateway URL runners push to, or leave it unset")]
    public string? PushgatewayUrl { get; init; }

    [Env("BACKUP_TIME_ZONE", Hint = "the IANA time zone of schedules without spec.timeZone (default UTC)")]
    public string? TimeZone { get; init; }

    [Env("BACKUP_API_KEY", Secret = true, Hint = "the key standalone mode requires in x-functions-key")]
    public string? ApiKey { get; init; }

    [Env("BACKUP_LISTEN_URL", Hint = "the address standalone mode listens on, such as http://127.0.0.1:7071")]
    public string ListenUrl { get; init; } = "http://127.0.0.1:7071";

    public IReadOnlyList<string> Validate(bool standalone)
    {
        var errors = new List<string>();
        if (WebhookMasterKey is null || WebhookMasterKey.Length < 32)
        {
            errors.Add("BACKUP_WEBHOOK_MASTER_KEY is not set or shorter than 32 characters: set it to a random secret (openssl rand -base64 48)");
        }
        switch (Cluster)
        {
            case ClusterMode.Folder when ResourcesFolder is null:
                errors.Add("BACKUP_RESOURCES_FOLDER is not set: set it to the folder of YAML resources (folder mode)");
                break;
            case ClusterMode.Kubeconfig when Kubeconfig is null:
                errors.Add("BACKUP_KUBECONFIG is not set: set it to the path of a kubeconfig file");
                break;
            case ClusterMode.Aks when AksApiServer is null || !Uri.TryCreate(AksApiServer, UriKind.Absolute, out _):
                errors.Add("BACKUP_AKS_API_SERVER is not set or not a URL: set it to the cluster's API server URL (az aks show --query fqdn)");
                break;
        }
        if (standalone && (ApiKey is null || ApiKey.Length < 16))
        {
            errors.Add("BACKUP_API_KEY is not set or shorter than 16 characters: standalone mode requires it on every protected route");
        }
        if (WebhookBaseUrl is not null && !Uri.TryCreate(WebhookBaseUrl, UriKind.Absolute, out _))
        {
            errors.Add($"BACKUP_WEBHOOK_BASE_URL='{WebhookBaseUrl}' is not a URL: set it to the app's base URL");
        }
        return errors;
    }
}
