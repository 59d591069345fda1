using System.Globalization;
using System.Text.Json;

namespace Serverless.Backup.Testing;

/// <summary>
/// One line of the app's or the runner's log, as the JSON console formatter writes it:
/// <c>{"Timestamp":…,"EventId":…,"LogLevel":"Warning","Category":…,"Message":…,"State":{…},"Scopes":[{…}]}</c>.
/// </summary>
public sealed record LogLine(JsonElement Json)
{
    public DateTimeOffset Timestamp => DateTimeOffset.Parse(Json.GetProperty("Timestamp").GetString()!, CultureInfo.InvariantCulture);
    public string Level => Json.GetProperty("LogLevel").GetString()!;
    public string Category => Json.GetProperty("Category").GetString()!;
    public string Message => Json.GetProperty("Message").GetString()!;

    /// <summary>A field of the entry's scopes (namespace, session, database, …), or null when no scope has it.</summary>
    public string? Scope(string name)
    {
        if (!Json.TryGetProperty("Scopes", out var scopes))
        {
            return null;
        }
        foreach (var scope in scopes.EnumerateArray())
        {
            if (scope.ValueKind == JsonValueKind.Object && scope.TryGetProperty(name, out var value))
            {
                return value.ValueKind == JsonValueKind.String ? value.GetString() : value.ToString();
            }
        }
        return null;
    }

    /// <summary>Every line of <paramref name="output"/> as a log line; a line that is not one fails the test.</summary>
    public static IReadOnlyList<LogLine> ParseAll(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse).ToList();

    public static LogLine Parse(string line)
    {
        var json = JsonDocument.Parse(line).RootElement;
        return json.TryGetProperty("LogLevel", out _) ? new LogLine(json) : throw new Xunit.Sdk.XunitException($"not a log line: {line}");
    }

    /// <summary>True for a line of the log (and not, say, a runner event).</summary>
    public static bool IsLogLine(string line)
    {
        try
        {
            return JsonDocument.Parse(line).RootElement.TryGetProperty("LogLevel", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
