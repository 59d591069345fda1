namespace Serverless.Backup.Core.Resources;

/// <summary>A reference by name to an object in the same namespace (Stash's <c>repository: {name}</c>).</summary>
public sealed record ObjectRef
{
    public string Name { get; init; } = "";
}
