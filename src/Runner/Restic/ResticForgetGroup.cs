using System.Text.Json.Serialization;

namespace Serverless.Backup.Runner.Restic;

/// <summary>One group of `restic forget --json`: the snapshots of one host and path (one database of a configuration).</summary>
public sealed record ResticForgetGroup
{
    [JsonPropertyName("host")] public string? Host { get; init; }
    [JsonPropertyName("paths")] public IReadOnlyList<string>? Paths { get; init; }
    [JsonPropertyName("keep")] public IReadOnlyList<ResticSnapshot>? Keep { get; init; }
    [JsonPropertyName("remove")] public IReadOnlyList<ResticSnapshot>? Remove { get; init; }
}
