using System.Globalization;
using System.Text;

namespace Serverless.Backup.Core;

/// <summary>
/// MySQL and MariaDB database names: which names the server accepts, which databases are the server's own, and how
/// a name is quoted in a message. Every name the server takes as a quoted identifier is accepted (spaces, Unicode,
/// dashes, dots, slashes, quotes, backticks), so a database that exists can always be named in a setting.
/// </summary>
public static class DatabaseNames
{
    public const int MaxLength = 64;

    /// <summary>The rule, as every error about a malformed name states it.</summary>
    public const string Rule =
        "a database name has 1 to 64 characters, no NUL, no character outside Unicode's Basic Multilingual Plane (such as an emoji), " +
        "no space, tab or line break at its end, and does not start with '#mysql50#'";

    /// <summary>The server's own databases: never dumped by default, never the target of a restore.</summary>
    public static readonly IReadOnlyList<string> System = ["information_schema", "mysql", "performance_schema", "sys"];

    /// <summary>
    /// MariaDB and MySQL keep old, unencoded folder names under this prefix and refuse it in a new name
    /// (ER_WRONG_DB_NAME, checked on the server).
    /// </summary>
    private const string OldFileNamePrefix = "#mysql50#";

    /// <summary>
    /// Whether the name is one of the server's own databases, in any letter case: on a server with
    /// lower_case_table_names set, 'MySQL' is the 'mysql' database, and 'information_schema' is matched without
    /// case everywhere.
    /// </summary>
    public static bool IsSystem(string name) => System.Contains(name, StringComparer.OrdinalIgnoreCase);

    public static bool IsValid(string? name) => Problem(name) is null;

    /// <summary>
    /// What makes the name one the server refuses, or null when it accepts it: MariaDB's own checks, compared with
    /// the real server by the runner tests (DatabaseNameTests). The server refuses one more kind of name, which
    /// depends on its file system: each database is a folder whose encoded name must fit in 255 bytes, and a
    /// character outside ASCII letters and digits can take 5 of them, so 64 snowmen are refused while 64 letters é
    /// are not. A restore asks the server about that before it writes anything.
    /// </summary>
    public static string? Problem(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "it is empty";
        }
        if (name.Length > MaxLength)
        {
            return $"it has {name.Length} characters, more than {MaxLength}";
        }
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c == '\0')
            {
                return $"it has a NUL character at position {i + 1}";
            }
            if (char.IsSurrogate(c))
            {
                // A pair is a character beyond U+FFFF: the server keeps identifiers in 3-byte UTF-8 and refuses it.
                var code = char.IsSurrogatePair(name, i) ? $"U+{char.ConvertToUtf32(name, i):X}" : "a lone surrogate";
                return $"it has a character outside the Basic Multilingual Plane ({code}) at position {i + 1}";
            }
        }
        if (name[^1] is ' ' or '\t' or '\n' or '\v' or '\f' or '\r')
        {
            return "it ends with a space, tab or line break";
        }
        if (name.StartsWith(OldFileNamePrefix, StringComparison.Ordinal))
        {
            return $"it starts with '{OldFileNamePrefix}', the server's prefix for folder names of old versions";
        }
        return null;
    }

    /// <summary>
    /// The name in single quotes for a message, on one line: a backslash, a quote and control characters are
    /// escaped, so a name with a line break cannot forge a line of a log or a termination message.
    /// </summary>
    public static string Show(string? name)
    {
        if (name is null)
        {
            return "null";
        }
        var text = new StringBuilder(name.Length + 2).Append('\'');
        foreach (var c in name)
        {
            _ = c switch
            {
                '\\' => text.Append(@"\\"),
                '\'' => text.Append(@"\'"),
                '\n' => text.Append(@"\n"),
                '\r' => text.Append(@"\r"),
                '\t' => text.Append(@"\t"),
                _ when char.IsControl(c) || c is '\u2028' or '\u2029' || char.IsSurrogate(c) =>
                    text.Append(@"\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)),
                _ => text.Append(c),
            };
        }
        return text.Append('\'').ToString();
    }

    /// <summary>The usual message about a malformed name in a field: the name, what is wrong, and the rule.</summary>
    public static string Malformed(string field, string? name, string problem) =>
        $"{field} has {Show(name)}, which is not a database name: {problem} ({Rule})";
}
