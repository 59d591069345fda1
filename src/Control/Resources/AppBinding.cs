using Serverless.Backup.Core;

namespace Serverless.Backup.Control.Resources;

/// <summary>How to reach a database (KubeDB's AppBinding, appcatalog.appscode.com/v1alpha1).</summary>
public sealed class AppBinding : CustomResource<AppBindingSpec, object>
{
    public AppBinding()
    {
        ApiVersion = ResourceType.AppBinding.ApiVersion;
        Kind = ResourceType.AppBinding.Kind;
    }
}

public sealed record AppBindingSpec
{
    public ClientConfig ClientConfig { get; init; } = new();
    /// <summary>The Secret with keys "username" and "password".</summary>
    public ObjectReference? Secret { get; init; }
}

public sealed record ClientConfig
{
    /// <summary>For example tcp(mysql.prod.svc:3306)/ or mysql://host:3306.</summary>
    public string? Url { get; init; }
    public ServiceReference? Service { get; init; }
}

public sealed record ServiceReference
{
    public string? Scheme { get; init; }
    public string? Name { get; init; }
    public string? Namespace { get; init; }
    public int? Port { get; init; }
    public string? Path { get; init; }
    public string? Query { get; init; }
}
