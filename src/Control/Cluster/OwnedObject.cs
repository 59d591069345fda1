using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Serverless.Backup.Control.Cluster;

/// <summary>Any object read only for its metadata (whose owner references decide what a delete takes with it).</summary>
public sealed class OwnedObject : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = "";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "";
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
}
