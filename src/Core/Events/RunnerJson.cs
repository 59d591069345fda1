using System.Text.Json;
using System.Text.Json.Serialization;

namespace Serverless.Backup.Core.Events;

/// <summary>The one JSON shape of events on stdout, in the webhook and in session status.</summary>
public static class RunnerJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static string Serialize(RunnerEvent e) => JsonSerializer.Serialize(e, Options);

    public static RunnerEvent Deserialize(string json) =>
        JsonSerializer.Deserialize<RunnerEvent>(json, Options) ?? throw new JsonException("the event is null");
}
