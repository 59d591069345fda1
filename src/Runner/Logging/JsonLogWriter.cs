using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Serverless.Backup.Core.Environment;

namespace Serverless.Backup.Runner.Logging;

/// <summary>
/// The runner's log on stderr: one JSON object a line (the Functions host and Kubernetes log collectors take a
/// line as one entry), with stable fields: time, level, message, verb, namespace, configuration, session, and
/// database and snapshotId where known. Code writes plain lines ("warning: …", "error: …" set the level) or
/// calls <see cref="Entry"/>; a line written with WriteLine stays one entry even when it spans lines (an
/// exception's stack). Nothing here adds a secret: settings are never logged, and child processes never get one
/// in argv.
/// </summary>
public sealed class JsonLogWriter(TextWriter output, SessionSettings session, string verb) : TextWriter
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly StringBuilder _partial = new();
    private readonly Lock _lock = new();

    public override Encoding Encoding => Encoding.UTF8;

    /// <summary>The database being worked on: added to every entry until it changes (null: none).</summary>
    public string? Database { get; set; }

    /// <summary>Writes one entry with explicit fields.</summary>
    public void Entry(string level, string message, string? database = null, string? snapshotId = null)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            json.WriteStartObject();
            json.WriteString("time", DateTimeOffset.UtcNow);
            json.WriteString("level", level);
            json.WriteString("message", message);
            json.WriteString("verb", verb);
            json.WriteString("namespace", session.Namespace);
            WriteIfSet(json, "configuration", session.Configuration);
            WriteIfSet(json, "session", session.Name);
            WriteIfSet(json, "database", database ?? Database);
            WriteIfSet(json, "snapshotId", snapshotId);
            json.WriteEndObject();
        }
        var line = Encoding.UTF8.GetString(buffer.ToArray());
        lock (_lock)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }

    private static void WriteIfSet(Utf8JsonWriter json, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            json.WriteString(name, value);
        }
    }

    /// <summary>A plain line: "error: " and "warning: " prefixes become the level.</summary>
    private void Line(string text)
    {
        foreach (var level in (ReadOnlySpan<string>)["error", "warning"])
        {
            if (text.StartsWith(level + ": ", StringComparison.Ordinal))
            {
                Entry(level, text[(level.Length + 2)..]);
                return;
            }
        }
        Entry("info", text);
    }

    public override void Write(char value)
    {
        string? complete = null;
        lock (_lock)
        {
            if (value == '\n')
            {
                complete = _partial.ToString();
                _partial.Clear();
            }
            else if (value != '\r')
            {
                _partial.Append(value);
            }
        }
        if (complete is not null)
        {
            Line(complete);
        }
    }

    public override void Write(string? value)
    {
        foreach (var c in value ?? "")
        {
            Write(c);
        }
    }

    public override void WriteLine(string? value)
    {
        string text;
        lock (_lock)
        {
            text = _partial.Append(value).ToString();
            _partial.Clear();
        }
        Line(text);
    }

    public override void WriteLine() => WriteLine("");

    public override Task WriteLineAsync(string? value)
    {
        WriteLine(value);
        return Task.CompletedTask;
    }

    public override Task WriteLineAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default)
    {
        WriteLine(buffer.ToString());
        return Task.CompletedTask;
    }

    public override Task WriteAsync(string? value)
    {
        Write(value);
        return Task.CompletedTask;
    }

    public override Task FlushAsync() => output.FlushAsync();

    public override void Flush() => output.Flush();
}
