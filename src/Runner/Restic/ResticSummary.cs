using System.Text.Json.Serialization;

namespace Serverless.Backup.Runner.Restic;

/// <summary>The last line of `restic backup --json` (message_type "summary").</summary>
public sealed record ResticSummary
{
    [JsonPropertyName("message_type")] public string? MessageType { get; init; }
    [JsonPropertyName("snapshot_id")] public string? SnapshotId { get; init; }
    [JsonPropertyName("data_added")] public long DataAdded { get; init; }
    [JsonPropertyName("total_bytes_processed")] public long TotalBytesProcessed { get; init; }
    [JsonPropertyName("total_duration")] public double TotalDuration { get; init; }
}
