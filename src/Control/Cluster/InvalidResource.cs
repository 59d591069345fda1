namespace Serverless.Backup.Control.Cluster;

/// <summary>
/// A resource that could not be read or does not pass validation: reported (status, log, metric) and skipped,
/// so that every other resource is processed as usual. <see cref="Problem"/> names the field and the fix.
/// </summary>
public sealed record InvalidResource(string Kind, string Namespace, string Name, string Problem)
{
    public override string ToString() => $"{Kind} {Namespace}/{Name}: {Problem}";
}
