using k8s;
using k8s.Models;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Serverless.Backup.Control.Cluster;

/// <summary>
/// Reads one resource file of the folder store as the API server would accept it: one YAML document of bounded
/// size and bounded cost (aliases counted as what they expand to, so an alias bomb is refused before anything is
/// built from it), of the expected kind, named as its file and in its namespace folder. A file that is not such
/// a document is an <see cref="InvalidResource"/>, never an exception that fails a whole list.
/// </summary>
public static class ResourceDocument
{
    /// <summary>The largest resource file read: the API server's own limit on an object is about 1.5 MiB.</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>The most YAML nodes a document may stand for, aliases expanded (a large resource has a few thousand).</summary>
    public const long MaxNodes = 100_000;

    /// <summary>The deepest nesting read (a resource has fewer than ten levels).</summary>
    public const int MaxDepth = 64;

    /// <summary>The resource in <paramref name="path"/>, or the reason it cannot be used.</summary>
    public static (T? Resource, InvalidResource? Invalid) Read<T>(string path, string @namespace, string? kind)
        where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        var name = Path.GetFileNameWithoutExtension(path);
        var expected = kind;
        kind ??= typeof(T).Name;
        InvalidResource Invalid(string problem) => new(kind, @namespace, name, $"{Path.GetFileName(path)}: {problem}");
        string text;
        try
        {
            var info = new FileInfo(path);
            // A FIFO, a device, a socket or a /proc file has no size: opening one could block or never end, so
            // nothing without a size is opened (an empty regular file is refused all the same).
            if (info.Length == 0)
            {
                return (null, Invalid($"is empty or not a regular file: write one {kind} document into it, or delete it"));
            }
            if (info.Length > MaxBytes)
            {
                return (null, Invalid($"the file is {info.Length} bytes, more than the {MaxBytes} a resource may have: split it or remove what it does not need"));
            }
            text = ReadBounded(path, info.Length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, Invalid($"cannot be read ({e.Message}): check that the file exists and is readable"));
        }
        if (string.IsNullOrWhiteSpace(text))
        {
            return (null, Invalid($"the file is empty: write one {kind} document into it, or delete it"));
        }
        if (Cost(text) is { } costProblem)
        {
            return (null, Invalid(costProblem));
        }
        T resource;
        try
        {
            resource = KubernetesYaml.Deserialize<T>(text);
        }
        // YamlDotNet reports a wrong shape (a list where a map belongs, text where a number belongs) with many
        // exception types; none of them may escape, or one file would stop every tick.
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var detail = e is YamlException y ? $"line {y.Start.Line}, column {y.Start.Column}: {(y.InnerException ?? y).Message}" : e.Message;
            return (null, Invalid($"is not a valid {kind} document ({detail}): fix the document"));
        }
        if (resource is null || resource.Metadata is null)
        {
            return (null, Invalid($"has no metadata: write a {kind} document with metadata.name '{name}'"));
        }
        if (Serverless.Backup.Control.Resources.RequiredFields.FirstNull(resource) is { } field)
        {
            return (null, Invalid($"{field} is null: write the field out, or leave it away for its default"));
        }
        if (expected is not null && !string.IsNullOrEmpty(resource.Kind) && resource.Kind != expected)
        {
            return (null, Invalid($"kind is '{resource.Kind}', but the folder holds {kind} resources: move the file or correct its kind"));
        }
        // The folder store counts resourceVersion up on each status write, as the API server does: it must be a number.
        if (resource.Metadata.ResourceVersion is { } version && !long.TryParse(version, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
        {
            return (null, Invalid($"metadata.resourceVersion '{version}' is not a number: remove it (the store sets it)"));
        }
        if (string.IsNullOrEmpty(resource.Metadata.Name))
        {
            resource.Metadata.Name = name;
        }
        else if (resource.Metadata.Name != name)
        {
            return (null, Invalid($"metadata.name '{resource.Metadata.Name}' does not match the file name: name the file {resource.Metadata.Name}.yaml or correct metadata.name"));
        }
        if (string.IsNullOrEmpty(resource.Metadata.NamespaceProperty))
        {
            resource.Metadata.NamespaceProperty = @namespace;
        }
        else if (resource.Metadata.NamespaceProperty != @namespace)
        {
            return (null, Invalid($"metadata.namespace '{resource.Metadata.NamespaceProperty}' does not match its folder '{@namespace}': move the file or correct metadata.namespace"));
        }
        return (resource, null);
    }

    /// <summary>The file's text, read up to its size as listed (a file that grows while it is read stays bounded).</summary>
    private static string ReadBounded(string path, long size)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 16384);
        var buffer = new byte[size + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = stream.Read(buffer, length, buffer.Length - length)) > 0)
        {
            length += read;
        }
        if (length > size)
        {
            throw new IOException("it grew while it was read: read it again on the next run");
        }
        return new System.Text.UTF8Encoding(false, false).GetString(buffer, 0, length).TrimStart('\uFEFF');
    }

    /// <summary>Walks the document's events without building anything; a problem when it is too costly or not one document.</summary>
    private static string? Cost(string text)
    {
        var expanded = new Dictionary<string, long>(StringComparer.Ordinal);
        var open = new Stack<(string? Anchor, long Start)>();
        long nodes = 0;
        var documents = 0;
        try
        {
            var parser = new Parser(new StringReader(text));
            while (parser.MoveNext())
            {
                switch (parser.Current)
                {
                    case DocumentStart:
                        documents++;
                        if (documents > 1)
                        {
                            return "holds more than one YAML document: keep one resource a file";
                        }
                        break;
                    case Scalar scalar:
                        nodes++;
                        Remember(scalar.Anchor, 1);
                        break;
                    case AnchorAlias alias:
                        if (!expanded.TryGetValue(alias.Value.Value, out var size))
                        {
                            return $"uses the alias *{alias.Value.Value} before its anchor: define the anchor first";
                        }
                        nodes += size;
                        break;
                    case NodeEvent node and (SequenceStart or MappingStart):
                        nodes++;
                        open.Push((node.Anchor.IsEmpty ? null : node.Anchor.Value, nodes));
                        // Reading builds objects recursively: a deep document would exhaust the stack.
                        if (open.Count > MaxDepth)
                        {
                            return $"nests more than {MaxDepth} levels deep: a resource needs a handful";
                        }
                        break;
                    case SequenceEnd or MappingEnd:
                        var (anchor, start) = open.Pop();
                        if (anchor is not null)
                        {
                            expanded[anchor] = nodes - start + 1;
                        }
                        break;
                }
                if (nodes > MaxNodes)
                {
                    return $"stands for more than {MaxNodes} YAML nodes once its aliases are expanded: write the values out, without nested aliases";
                }
            }
        }
        catch (YamlException e)
        {
            return $"is not YAML (line {e.Start.Line}, column {e.Start.Column}: {e.Message}): fix the document";
        }
        return null;

        void Remember(AnchorName anchor, long size)
        {
            if (!anchor.IsEmpty)
            {
                expanded[anchor.Value] = size;
            }
        }
    }
}
