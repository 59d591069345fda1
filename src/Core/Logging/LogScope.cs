using System.Collections;

namespace Serverless.Backup.Core.Logging;

/// <summary>
/// The stable fields of a log entry (namespace, session, configuration, ...) as a logging scope: the JSON console
/// formatter writes each under "Scopes", so a query on one of them finds a session's or a configuration's whole
/// story. Fields without a value are left out. Only names, phases and ids belong here, never a secret.
/// </summary>
public sealed class LogScope : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly KeyValuePair<string, object?>[] _fields;

    public LogScope(params ReadOnlySpan<(string Name, string? Value)> fields)
    {
        var set = new List<KeyValuePair<string, object?>>(fields.Length);
        foreach (var (name, value) in fields)
        {
            if (!string.IsNullOrEmpty(value))
            {
                set.Add(new(name, value));
            }
        }
        _fields = [.. set];
    }

    public int Count => _fields.Length;

    public KeyValuePair<string, object?> this[int index] => _fields[index];

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_fields).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>What a text formatter shows, and the scope's "Message" in JSON: <c>namespace=prod session=shop-1</c>.</summary>
    public override string ToString() => string.Join(' ', _fields.Select(f => $"{f.Key}={f.Value}"));
}
