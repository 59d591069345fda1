using System.Text;
using Serverless.Backup.Core.Environment;

namespace Serverless.Backup.Runner.Restic;

/// <summary>
/// The key=value tags every snapshot of ours carries, and the file name a database's stream is stored under.
/// restic splits a tag list at commas and trims spaces, and a file name with '/' would be a folder, so a database
/// name (which may hold any of these) is written encoded: ASCII letters, digits, '_', '$', '-' and '.' as they are,
/// every other character as '%' and the two hex digits of each of its UTF-8 bytes ('weird db ☃' is
/// 'weird%20db%20%E2%98%83'). Names of the old rule (letters, digits, '_', '$') are unchanged by it, and they hold
/// no '%', so snapshots tagged with plain names read back the same. The other tags are Kubernetes names, which
/// hold none of these characters.
/// </summary>
public static class ResticTags
{
    public const string Session = "session";
    public const string Configuration = "config";
    public const string Namespace = "namespace";
    public const string Database = "db";
    public const string CharacterSet = "charset";
    public const string Collation = "collation";

    public static string Of(string key, string value) => $"{key}={value}";

    /// <summary>The tags that say whose a backup's snapshot is: session, namespace, configuration and database.</summary>
    public static IReadOnlyList<string> OfRun(SessionSettings session, string database) =>
    [
        Of(Session, session.Name!),
        Of(Namespace, session.Namespace),
        Of(Configuration, session.Configuration ?? "adhoc"),
        Of(Database, Encode(database)),
    ];

    /// <summary>The name restic stores a database's stream under (--stdin-filename), without the leading '/'.</summary>
    public static string FileName(string database) => Encode(database) + ".sql";

    /// <summary>The database of a stored file name such as /shop.sql, or null when it is not one of ours.</summary>
    public static string? DatabaseOfPath(string path)
    {
        var name = path[(path.LastIndexOf('/') + 1)..];
        return name.EndsWith(".sql", StringComparison.Ordinal) && name.Length > 4 ? Decode(name[..^4]) : null;
    }

    public static string Encode(string value)
    {
        var text = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'_' or (byte)'$' or (byte)'-' or (byte)'.')
            {
                text.Append((char)b);
            }
            else
            {
                text.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return text.ToString();
    }

    /// <summary>
    /// The value <see cref="Encode"/> wrote. A value with no '%' is returned as it is (a snapshot of the old rule);
    /// a '%' not followed by two hex digits is kept, as restic or a person may have written it.
    /// </summary>
    public static string Decode(string value)
    {
        if (!value.Contains('%', StringComparison.Ordinal))
        {
            return value;
        }
        var bytes = new List<byte>(value.Length);
        var plainFrom = 0;
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '%' && i + 2 < value.Length && char.IsAsciiHexDigit(value[i + 1]) && char.IsAsciiHexDigit(value[i + 2]))
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(value[plainFrom..i]));
                bytes.Add(Convert.ToByte(value.Substring(i + 1, 2), 16));
                i += 2;
                plainFrom = i + 1;
            }
        }
        bytes.AddRange(Encoding.UTF8.GetBytes(value[plainFrom..]));
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
