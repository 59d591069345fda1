namespace Serverless.Backup.Core.Resources;

/// <summary>Stash's <c>target.ref</c>: the AppBinding of the database.</summary>
public sealed record TargetRef
{
    public string ApiVersion { get; init; } = ResourceGroup.AppBindingApiVersion;
    public string Kind { get; init; } = "AppBinding";
    public string Name { get; init; } = "";
}
