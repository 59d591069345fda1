namespace Serverless.Backup.Runner.Privileges;

/// <summary>SQL text the runner shows users to run: identifiers, accounts, and the wildcard rules of grants.</summary>
public static class SqlText
{
    /// <summary>An identifier in backticks, a backtick inside doubled: `shop`, `we``ird`.</summary>
    public static string Identifier(string name) => "`" + name.Replace("`", "``") + "`";

    /// <summary>An account as GRANT takes it, 'user'@'host', quotes doubled (valid whatever the sql_mode).</summary>
    public static string Account(string user, string host) => $"'{user.Replace("'", "''")}'@'{host.Replace("'", "''")}'";

    /// <summary>
    /// The target of a database-level grant on the database, written as people write it: in a database-level grant
    /// `_` and `%` are wildcards, but escaping them would make a new, more specific grant that hides the user's
    /// existing `shop_db`.* grant from the server (it applies one database-level grant per account). A backslash is
    /// the escape character, so it is doubled.
    /// </summary>
    public static string DatabaseTarget(string database) => Identifier(database.Replace("\\", "\\\\")) + ".*";

    /// <summary>The target of a table-level grant (no wildcards there).</summary>
    public static string TableTarget(string database, string table) => Identifier(database) + "." + Identifier(table);

    /// <summary>
    /// Whether a database-level grant's name pattern covers a database: `%` any run of characters, `_` any one,
    /// a backslash makes the next character literal, as the server matches them.
    /// </summary>
    public static bool PatternMatches(string pattern, string name, bool ignoreCase)
    {
        // One pass per pattern element over the set of name positions reached so far: pattern length times name
        // length steps whatever the pattern (a run of % cannot make it backtrack).
        var reached = new bool[name.Length + 1];
        reached[0] = true;
        for (var p = 0; p < pattern.Length; p++)
        {
            var next = new bool[name.Length + 1];
            var c = pattern[p];
            if (c == '%')
            {
                var any = false;
                for (var n = 0; n <= name.Length; n++)
                {
                    any |= reached[n];
                    next[n] = any;
                }
            }
            else
            {
                var literal = c != '_';
                if (c == '\\' && p + 1 < pattern.Length)
                {
                    c = pattern[++p];
                }
                for (var n = 0; n < name.Length; n++)
                {
                    next[n + 1] = reached[n] && (!literal || Same(c, name[n], ignoreCase));
                }
            }
            reached = next;
        }
        return reached[name.Length];
    }

    /// <summary>
    /// How specific a database-level grant's pattern is; of the patterns that match a database the server applies
    /// only the most specific one per account or role. MariaDB counts the characters other than `%` (`_` counts,
    /// an escaped pair counts once), a pattern without wildcards above one with the same count (`shop` beats
    /// `_hop`, `s_op` beats `sh%`), and breaks ties by the smaller name; MySQL ranks by where the first wildcard
    /// is, a pattern without any above all.
    /// </summary>
    public static int Specificity(string pattern, bool mariaDb)
    {
        var counted = 0;
        var firstWildcard = 0;
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\' && i + 1 < pattern.Length)
            {
                i++;
                counted++;
                continue;
            }
            if (pattern[i] is '%' or '_' && firstWildcard == 0)
            {
                firstWildcard = i + 1;
            }
            if (pattern[i] != '%')
            {
                counted++;
            }
        }
        return mariaDb ? counted * 2 + (firstWildcard == 0 ? 1 : 0) : firstWildcard == 0 ? 128 : Math.Min(firstWildcard, 127);
    }

    private static bool Same(char a, char b, bool ignoreCase) =>
        a == b || (ignoreCase && char.ToLowerInvariant(a) == char.ToLowerInvariant(b));
}
