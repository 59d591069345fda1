using System.Text.Json;
using System.Text.Json.Serialization;

namespace Serverless.Backup.Core.Events;

/// <summary>The one JSON shape of events on stdout, in the webhook and in session status.</summary>
public static class RunnerJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
        // "type" may stand anywhere in the object (a hand-written or reformatted event), and a key given twice
        // is an error rather than the last one silently winning.
        AllowOutOfOrderMetadataProperties = true,
        AllowDuplicateProperties = false,
    };

    public static string Serialize(RunnerEvent e) => JsonSerializer.Serialize(e, Options);

    public static RunnerEvent Deserialize(string json) =>
        JsonSerializer.Deserialize<RunnerEvent>(json, Options) ?? throw new JsonException("the event is null");
}
