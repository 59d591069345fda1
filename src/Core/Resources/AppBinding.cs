namespace Serverless.Backup.Core.Resources;

/// <summary>KubeDB's AppBinding (appcatalog.appscode.com/v1alpha1): how to reach a database and its credentials secret.</summary>
public sealed class AppBinding : Resource<AppBindingSpec, object>
{
    public const string KindName = "AppBinding";
    public const string Plural = "appbindings";

    public AppBinding()
    {
        Kind = KindName;
        ApiVersion = ResourceGroup.AppBindingApiVersion;
    }
}

public sealed record AppBindingSpec
{
    public ClientConfig ClientConfig { get; init; } = new();
    /// <summary>The secret with keys <c>username</c> and <c>password</c>.</summary>
    public ObjectRef? Secret { get; init; }
}

public sealed record ClientConfig
{
    /// <summary>Such as mysql://host:3306 or tcp(host:3306)/.</summary>
    public string? Url { get; init; }
    public ServiceReference? Service { get; init; }
}

public sealed record ServiceReference
{
    public string? Scheme { get; init; }
    public string Name { get; init; } = "";
    public string? Namespace { get; init; }
    public int? Port { get; init; }
}
