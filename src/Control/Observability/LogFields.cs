namespace Serverless.Backup.Control.Observability;

/// <summary>
/// The stable fields of a log line, so that a query on one of them (a session, a configuration) finds its whole
/// story. Only names, phases and ids: never a secret or a credential.
/// </summary>
public sealed record LogFields
{
    public string? Namespace { get; init; }
    public string? Configuration { get; init; }
    public string? Repository { get; init; }
    public string? Kind { get; init; }
    public string? Session { get; init; }
    public string? Phase { get; init; }
    public string? Reason { get; init; }
    public string? SnapshotId { get; init; }
    public string? Function { get; init; }
}
