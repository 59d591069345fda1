using System.Text.Json.Serialization;

namespace Serverless.Backup.Runner.Restic;

/// <summary>One entry of `restic snapshots --json`.</summary>
public sealed record ResticSnapshot
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("short_id")] public string? ShortId { get; init; }
    [JsonPropertyName("time")] public DateTimeOffset Time { get; init; }
    [JsonPropertyName("hostname")] public string? Hostname { get; init; }
    [JsonPropertyName("paths")] public IReadOnlyList<string> Paths { get; init; } = [];
    [JsonPropertyName("tags")] public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>The value of a key=value tag of ours (see <see cref="ResticTags"/>).</summary>
    public string? Tag(string key) =>
        Tags?.FirstOrDefault(t => t.StartsWith(key + "=", StringComparison.Ordinal))?[(key.Length + 1)..];

    /// <summary>
    /// The database the snapshot holds: its db tag, else the stdin file name (both decoded, see <see cref="ResticTags"/>);
    /// null for an archived binary log (kind=binlog), which holds every database's changes and is no dump.
    /// </summary>
    public string? Database => Tag("kind") == "binlog" ? null : Tag(ResticTags.Database) is { } tag
        ? ResticTags.Decode(tag)
        : Paths.Select(ResticTags.DatabaseOfPath).FirstOrDefault(d => d is not null);

    /// <summary>The file restic stored the stream as (for `restic dump`).</summary>
    public string FileName => Paths.FirstOrDefault() ?? "/" + ResticTags.FileName(Database ?? "");
}
