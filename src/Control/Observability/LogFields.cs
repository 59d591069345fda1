using System.Collections;
using Serverless.Backup.Core.Logging;

namespace Serverless.Backup.Control.Observability;

/// <summary>
/// The stable fields of a log entry, so that a query on one of them (a session, a configuration) finds its whole
/// story. They are a logging scope (<c>using (logger.BeginScope(fields))</c>): the JSON console formatter writes the
/// fields that are set under "Scopes". Only names, phases and ids: never a secret or a credential.
/// </summary>
public sealed record LogFields : IEnumerable<KeyValuePair<string, object?>>
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

    /// <summary>The fields that are set, under the names the log's readers query.</summary>
    public LogScope ToScope() => new(
        ("namespace", Namespace), ("configuration", Configuration), ("repository", Repository), ("kind", Kind),
        ("session", Session), ("phase", Phase), ("reason", Reason), ("snapshotId", SnapshotId), ("function", Function));

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ToScope().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => ToScope().ToString();
}
