using System.Text.Json;

namespace Serverless.Backup.Control.Observability;

/// <summary>
/// The app's log: one JSON object a line on stdout (the Functions host forwards each line to Application
/// Insights), with time, level, message and the <see cref="LogFields"/> that are known. Lines are written whole,
/// so concurrent writers never interleave.
/// </summary>
public sealed class JsonLog(TextWriter writer, TimeProvider clock)
{
    private readonly Lock _lock = new();

    /// <summary>A log that writes nothing (for tests and benchmarks that do not read it).</summary>
    public static JsonLog None { get; } = new(TextWriter.Null, TimeProvider.System);

    public void Info(string message, LogFields? fields = null) => Write("information", message, fields);

    public void Warning(string message, LogFields? fields = null) => Write("warning", message, fields);

    public void Error(string message, LogFields? fields = null) => Write("error", message, fields);

    private void Write(string level, string message, LogFields? fields)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("time", clock.GetUtcNow());
            json.WriteString("level", level);
            json.WriteString("message", message);
            if (fields is not null)
            {
                Field(json, "namespace", fields.Namespace);
                Field(json, "configuration", fields.Configuration);
                Field(json, "repository", fields.Repository);
                Field(json, "kind", fields.Kind);
                Field(json, "session", fields.Session);
                Field(json, "phase", fields.Phase);
                Field(json, "reason", fields.Reason);
                Field(json, "snapshotId", fields.SnapshotId);
                Field(json, "function", fields.Function);
            }
            json.WriteEndObject();
        }
        var line = System.Text.Encoding.UTF8.GetString(buffer.ToArray());
        lock (_lock)
        {
            writer.WriteLine(line);
            writer.Flush();
        }
    }

    private static void Field(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }
}
