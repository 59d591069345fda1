using System.Text.Json.Serialization;

namespace Serverless.Backup.Functions.Hosting;

/// <summary>
/// The answer to a non-proxied invocation. The host needs a 2xx JSON body with these three properties
/// (an empty body can leave the invocation hanging until the function timeout).
/// </summary>
public sealed record InvocationResult
{
    [JsonPropertyName("Outputs")]
    public Dictionary<string, object?> Outputs { get; init; } = [];

    [JsonPropertyName("Logs")]
    public List<string> Logs { get; init; } = [];

    [JsonPropertyName("ReturnValue")]
    public object? ReturnValue { get; init; }
}
