using System.Text;

namespace Serverless.Backup.Runner.Privileges;

/// <summary>
/// Reads the lines of SHOW GRANTS (MariaDB and MySQL): `GRANT privileges ON target TO grantee ...`, with column
/// lists (`SELECT (`id`, `x`) ON ...`), backtick identifiers (a backtick inside doubled), double-quoted ones under
/// ANSI_QUOTES, unquoted ones when sql_quote_show_create is off, and MySQL's partial revokes (`REVOKE ... FROM`).
/// Lines that grant no privilege on data (roles, PROXY, routines, SET DEFAULT ROLE) give an empty list.
/// </summary>
public static class GrantParser
{
    private const char Word = 'w';
    private const char Quoted = 'i';
    private const char Text = 's';
    private const char Punctuation = 'p';

    private static readonly HashSet<string> GranteeEnd = new(StringComparer.OrdinalIgnoreCase) { "IDENTIFIED", "REQUIRE", "WITH", "VIA", "AS", "PASSWORD" };

    /// <summary>The privileges a line grants, one per privilege and level; null when the line is not understood.</summary>
    public static IReadOnlyList<Grant>? Parse(string line)
    {
        var tokens = Tokenize(line);
        if (tokens is null || tokens.Count == 0)
        {
            return null;
        }
        var revoke = IsWord(tokens[0], "REVOKE");
        if (!revoke && !IsWord(tokens[0], "GRANT"))
        {
            // SET DEFAULT ROLE and the like: nothing about privileges.
            return [];
        }
        var at = 1;
        var privileges = new List<(string Name, List<string> Columns)>();
        while (true)
        {
            if (at >= tokens.Count)
            {
                return null;
            }
            var words = new List<string>();
            while (at < tokens.Count && tokens[at].Kind == Word && !IsWord(tokens[at], "ON") && !IsWord(tokens[at], "TO"))
            {
                words.Add(tokens[at++].Text.ToUpperInvariant());
            }
            if (words.Count == 0)
            {
                // A role (`bk`, `r`@`%`) is granted: its own lines follow when it is enabled.
                return privileges.Count == 0 && at < tokens.Count && tokens[at].Kind is Quoted or Text ? [] : null;
            }
            var columns = new List<string>();
            if (IsPunctuation(tokens, at, "("))
            {
                at++;
                while (at < tokens.Count && tokens[at].Kind is Quoted or Word)
                {
                    columns.Add(tokens[at++].Text);
                    if (IsPunctuation(tokens, at, ","))
                    {
                        at++;
                    }
                }
                if (!IsPunctuation(tokens, at, ")"))
                {
                    return null;
                }
                at++;
            }
            var name = string.Join(' ', words);
            privileges.Add((name is "ALL PRIVILEGES" ? "ALL" : name, columns));
            if (IsPunctuation(tokens, at, ","))
            {
                at++;
                continue;
            }
            if (at < tokens.Count && IsWord(tokens[at], "TO"))
            {
                // Unquoted role names: GRANT bk TO ru@%.
                return [];
            }
            if (at < tokens.Count && IsWord(tokens[at], "ON"))
            {
                at++;
                break;
            }
            return null;
        }

        if (at < tokens.Count && tokens[at].Kind == Word
            && (IsWord(tokens[at], "PROCEDURE") || IsWord(tokens[at], "FUNCTION") || IsWord(tokens[at], "PACKAGE")))
        {
            return [];
        }
        if (at < tokens.Count && IsWord(tokens[at], "TABLE"))
        {
            at++;
        }
        if (privileges.Any(p => p.Name == "PROXY"))
        {
            return [];
        }
        // `*.*`, `db`.* or `db`.`table`; a bare `*` or `table` (the default database) never appears in SHOW GRANTS.
        if (!ReadPart(tokens, ref at, out var database) || !IsPunctuation(tokens, at++, ".") || !ReadPart(tokens, ref at, out var table)
            || (database is null && table is not null))
        {
            return null;
        }
        var level = database is null ? GrantLevel.Global : table is null ? GrantLevel.Database : GrantLevel.Table;

        if (at >= tokens.Count || !(IsWord(tokens[at], revoke ? "FROM" : "TO")))
        {
            return null;
        }
        at++;
        // The grantee without its quotes, `u`@`%` as u@%, the way CURRENT_USER() names the account.
        var grantee = new StringBuilder();
        while (at < tokens.Count && !(tokens[at].Kind == Word && GranteeEnd.Contains(tokens[at].Text)))
        {
            grantee.Append(tokens[at++].Text);
        }
        if (grantee.Length == 0)
        {
            return null;
        }
        return privileges
            .Select(p => new Grant(grantee.ToString(), p.Name, p.Columns.Count > 0 ? GrantLevel.Columns : level, database, table)
            {
                Columns = p.Columns,
                Revoke = revoke,
            })
            .ToList();
    }

    /// <summary>`*` (null: every database or table) or a name, quoted or not.</summary>
    private static bool ReadPart(List<(char Kind, string Text)> tokens, ref int at, out string? part)
    {
        part = null;
        if (at >= tokens.Count)
        {
            return false;
        }
        var token = tokens[at++];
        if (token is { Kind: Punctuation, Text: "*" })
        {
            return true;
        }
        if (token.Kind is Quoted or Word)
        {
            part = token.Text;
            return true;
        }
        return false;
    }

    private static bool IsWord((char Kind, string Text) token, string word) =>
        token.Kind == Word && token.Text.Equals(word, StringComparison.OrdinalIgnoreCase);

    private static bool IsPunctuation(List<(char Kind, string Text)> tokens, int at, string text) =>
        at < tokens.Count && tokens[at].Kind == Punctuation && tokens[at].Text == text;

    /// <summary>Words, quoted identifiers (unquoted), strings (unquoted) and punctuation; null on an unterminated quote.</summary>
    private static List<(char Kind, string Text)>? Tokenize(string line)
    {
        var tokens = new List<(char Kind, string Text)>();
        var i = 0;
        while (i < line.Length)
        {
            var c = line[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c is '`' or '"' or '\'')
            {
                var value = new StringBuilder();
                i++;
                while (true)
                {
                    if (i >= line.Length)
                    {
                        return null;
                    }
                    if (line[i] == c)
                    {
                        // A doubled quote is one quote character inside.
                        if (i + 1 < line.Length && line[i + 1] == c)
                        {
                            value.Append(c);
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    if (c == '\'' && line[i] == '\\' && i + 1 < line.Length)
                    {
                        i++;
                    }
                    value.Append(line[i++]);
                }
                tokens.Add((c == '\'' ? Text : Quoted, value.ToString()));
            }
            else if (char.IsLetterOrDigit(c) || c is '_' or '$')
            {
                var start = i;
                while (i < line.Length && (char.IsLetterOrDigit(line[i]) || line[i] is '_' or '$'))
                {
                    i++;
                }
                tokens.Add((Word, line[start..i]));
            }
            else
            {
                tokens.Add((Punctuation, c.ToString()));
                i++;
            }
        }
        return tokens;
    }
}
