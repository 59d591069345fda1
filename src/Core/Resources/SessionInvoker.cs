namespace Serverless.Backup.Core.Resources;

/// <summary>Stash's <c>spec.invoker</c>: what created the session.</summary>
public sealed record SessionInvoker
{
    public string ApiGroup { get; init; } = ResourceGroup.Group;
    public string Kind { get; init; } = BackupConfiguration.KindName;
    public string Name { get; init; } = "";
}
