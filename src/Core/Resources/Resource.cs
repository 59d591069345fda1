using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Serverless.Backup.Core.Resources;

/// <summary>
/// A custom resource with a spec and a status, readable and writable by KubernetesClient's generic client.
/// </summary>
public abstract class Resource<TSpec, TStatus> : IKubernetesObject<V1ObjectMeta>, ISpec<TSpec>, IStatus<TStatus?>
    where TSpec : new()
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = ResourceGroup.ApiVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public TSpec Spec { get; set; } = new();

    [JsonPropertyName("status")]
    public TStatus? Status { get; set; }

    /// <summary>namespace/name, for messages and logs.</summary>
    [JsonIgnore]
    public string Key => $"{Metadata.NamespaceProperty ?? "default"}/{Metadata.Name}";
}
