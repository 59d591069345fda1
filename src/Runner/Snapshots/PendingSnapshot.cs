using System.Text.Json.Serialization;
using Serverless.Backup.Runner.Restic;

namespace Serverless.Backup.Runner.Snapshots;

/// <summary>
/// A database stream of a backup whose snapshot is not confirmed yet: written to the storage before restic starts,
/// removed once the run knows the stream was complete (or removed what restic saved of it). While it exists, the
/// snapshots it covers do not count.
/// </summary>
public sealed record PendingSnapshot
{
    /// <summary>The object's key in the storage (not part of its content).</summary>
    [JsonIgnore] public string Key { get; init; } = "";

    [JsonPropertyName("namespace")] public required string Namespace { get; init; }
    [JsonPropertyName("configuration")] public string? Configuration { get; init; }
    [JsonPropertyName("session")] public required string Session { get; init; }
    [JsonPropertyName("database")] public required string Database { get; init; }
    [JsonPropertyName("host")] public required string Host { get; init; }
    [JsonPropertyName("processId")] public int ProcessId { get; init; }
    [JsonPropertyName("processStart")] public long ProcessStart { get; init; }
    [JsonPropertyName("time")] public DateTimeOffset Time { get; init; }

    /// <summary>
    /// The binary-log file of an archive run's stream (its <see cref="Database"/> is then <c>binlog:&lt;file&gt;</c>,
    /// which no dump snapshot's database matches: their snapshots have a db tag or a .sql path, an archived log neither).
    /// </summary>
    [JsonPropertyName("binlog")] public string? Binlog { get; init; }

    /// <summary>Whether the snapshot holds this stream: same session, namespace and database (or archived log).</summary>
    public bool Covers(ResticSnapshot snapshot) =>
        snapshot.Tag(ResticTags.Session) == Session
        && snapshot.Tag(ResticTags.Namespace) == Namespace
        && (Binlog is null
            ? !PointInTime.BinlogCatalog.IsBinlog(snapshot) && snapshot.Database == Database
            : PointInTime.BinlogCatalog.IsBinlog(snapshot) && snapshot.Tag(PointInTime.BinlogCatalog.File) is { } file && ResticTags.Decode(file) == Binlog);

    public override string ToString() => Binlog is null ? $"'{Database}' of session {Namespace}/{Session}" : $"binary log {Binlog} of session {Namespace}/{Session}";
}
