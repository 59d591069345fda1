namespace Serverless.Backup.Core.Resources;

/// <summary>The API group, version and plurals of this project's custom resources.</summary>
public static class ResourceGroup
{
    public const string Group = "backup.serverless.dev";
    public const string Version = "v1alpha1";
    public const string ApiVersion = Group + "/" + Version;

    public const string AppBindingGroup = "appcatalog.appscode.com";
    public const string AppBindingApiVersion = AppBindingGroup + "/v1alpha1";

    /// <summary>Label on sessions and Jobs: the BackupConfiguration they belong to.</summary>
    public const string ConfigurationLabel = Group + "/configuration";
    /// <summary>Label on Jobs and Secrets: the session they belong to.</summary>
    public const string SessionLabel = Group + "/session";
    /// <summary>Label on sessions: the Repository they write to or read from.</summary>
    public const string RepositoryLabel = Group + "/repository";
}
