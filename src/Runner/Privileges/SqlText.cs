namespace Serverless.Backup.Runner.Privileges;

/// <summary>SQL text the runner shows users to run: identifiers, accounts, and the wildcard rules of grants.</summary>
public static class SqlText
{
    /// <summary>An identifier in backticks, a backtick inside doubled: `shop`, `we``ird`.</summary>
    public static string Identifier(string name) => "`" + name.Replace("`", "``") + "`";

    /// <summary>An account as GRANT takes it, 'user'@'host', quotes doubled (valid whatever the sql_mode).</summary>
    public static string Account(string user, string host) => $"'{user.Replace("'", "''")}'@'{host.Replace("'", "''")}'";

    /// <summary>
    /// The target of a database-level grant on exactly this database. In a database-level grant `_` and `%` are
    /// wildcards (`my_db`.* also covers `myXdb`), so they are escaped to name this database and no other.
    /// </summary>
    public static string DatabaseTarget(string database) =>
        Identifier(database.Replace("\\", "\\\\").Replace("_", "\\_").Replace("%", "\\%")) + ".*";

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

    /// <summary>Whether a database-level grant's name has a wildcard (the server prefers a grant naming the database exactly).</summary>
    public static bool HasWildcard(string pattern)
    {
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\')
            {
                i++;
            }
            else if (pattern[i] is '%' or '_')
            {
                return true;
            }
        }
        return false;
    }

    private static bool Same(char a, char b, bool ignoreCase) =>
        a == b || (ignoreCase && char.ToLowerInvariant(a) == char.ToLowerInvariant(b));
}
