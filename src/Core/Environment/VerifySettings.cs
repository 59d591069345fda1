using System.Text.Json;
using System.Text.Json.Serialization;

namespace Serverless.Backup.Core.Environment;

/// <summary>
/// The verify verb: restore the newest snapshot of each database (of <see cref="SessionSettings.Configuration"/>)
/// into a scratch database, prove it equal to what was dumped, run the checks, and drop the scratch database. The
/// scratch server is the source server (MYSQL_*) unless VERIFY_HOST names another; a scratch database is never a
/// database the backup covers.
/// </summary>
public sealed record VerifySettings
{
    [Env("VERIFY_HOST", Hint = "the scratch server's host, or leave it unset to verify on the source server (MYSQL_HOST) under scratch database names")]
    public string? Host { get; init; }

    [Env("VERIFY_PORT", Hint = "the scratch server's TCP port (default MYSQL_PORT)")]
    public int? Port { get; init; }

    [Env("VERIFY_USER", Hint = "the scratch server's user (default MYSQL_USER); it needs CREATE, DROP and the privileges a restore needs")]
    public string? User { get; init; }

    [Env("VERIFY_PASSWORD", Secret = true, Hint = "the scratch server user's password (default MYSQL_PASSWORD)")]
    public string? Password { get; init; }

    [Env("VERIFY_DATABASE_PREFIX", Hint = "the prefix of scratch database names, such as verify_ (the name is PREFIX + database + _ + a short session hash)")]
    public string DatabasePrefix { get; init; } = "verify_";

    [Env("VERIFY_CHECKS", Hint = "a JSON array of checks such as [{\"name\": \"has-orders\", \"database\": \"shop\", \"sql\": \"SELECT COUNT(*) FROM orders\", \"min\": 1}]")]
    public string? Checks { get; init; }

    /// <summary>The checks, parsed; errors name VERIFY_CHECKS.</summary>
    public IReadOnlyList<VerifyCheck> ParsedChecks(List<string>? errors = null)
    {
        if (string.IsNullOrWhiteSpace(Checks))
        {
            return [];
        }
        try
        {
            return JsonSerializer.Deserialize<List<VerifyCheck>>(Checks, VerifyCheck.Json) ?? [];
        }
        catch (JsonException e)
        {
            errors?.Add($"{RunnerSettings.NameOf<VerifySettings>(nameof(Checks))} is not a JSON array of checks ({e.Message}): write it like [{{\"name\": \"has-orders\", \"database\": \"shop\", \"sql\": \"SELECT COUNT(*) FROM orders\", \"min\": 1}}]");
            return [];
        }
    }

    internal void Validate(List<string> errors)
    {
        string N(string p) => RunnerSettings.NameOf<VerifySettings>(p);
        if (Port is < 1 or > 65535)
        {
            errors.Add($"{N(nameof(Port))}={Port} is not valid: set it to a TCP port between 1 and 65535");
        }
        if (DatabasePrefix.Length is 0 or > 20 || DatabaseNames.Problem(DatabasePrefix + "x") is not null)
        {
            errors.Add($"{N(nameof(DatabasePrefix))}='{DatabasePrefix}' is not valid: use 1 to 20 characters a database name may start with, such as verify_");
        }
        foreach (var check in ParsedChecks(errors))
        {
            if (check.Problem() is { } problem)
            {
                errors.Add($"{N(nameof(Checks))}: {problem}");
            }
        }
    }
}

/// <summary>
/// A query run on the restored scratch database in a read-only transaction; its first column of its first row is a
/// number that must lie within <see cref="Min"/> and <see cref="Max"/> (or equal <see cref="Equals"/>).
/// </summary>
public sealed record VerifyCheck
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    public string? Name { get; init; }
    /// <summary>The source database whose scratch copy the query runs in.</summary>
    public string? Database { get; init; }
    public string? Sql { get; init; }
    public decimal? Min { get; init; }
    public decimal? Max { get; init; }
    [JsonPropertyName("equals")]
    public decimal? EqualTo { get; init; }

    public string? Problem()
    {
        if (string.IsNullOrWhiteSpace(Name) || Name.Length > 63)
        {
            return "a check has no name (1 to 63 characters)";
        }
        if (Database is null || DatabaseNames.Problem(Database) is { } problem)
        {
            return $"check '{Name}' names no valid database: set \"database\" to the source database it checks";
        }
        if (string.IsNullOrWhiteSpace(Sql) || Sql.Length > 4096)
        {
            return $"check '{Name}' has no sql (1 to 4096 characters)";
        }
        if (Min is null && Max is null && EqualTo is null)
        {
            return $"check '{Name}' expects nothing: set min, max or equals";
        }
        return SqlProblem(Sql) is { } sqlProblem ? $"check '{Name}': {sqlProblem}" : null;
    }

    /// <summary>
    /// A check is one SELECT (or WITH … SELECT) that reads: the server runs every statement of a query text, and a
    /// second one could leave the read-only transaction (SET SESSION TRANSACTION READ WRITE, COMMIT) on the source
    /// server. So outside quotes and comments there is no ';' but a last one, no INTO (OUTFILE, DUMPFILE or
    /// variables), and no executable comment (/*! … */ runs as code).
    /// </summary>
    public static string? SqlProblem(string sql)
    {
        var code = new System.Text.StringBuilder(sql.Length);
        for (var i = 0; i < sql.Length; i++)
        {
            var c = sql[i];
            if (c is '\'' or '"' or '`')
            {
                var end = i + 1;
                while (end < sql.Length && (sql[end] != c || (end + 1 < sql.Length && sql[end + 1] == c && ++end > 0)))
                {
                    end += sql[end] == '\\' && c != '`' ? 2 : 1;
                }
                if (end >= sql.Length)
                {
                    return "its sql has an unclosed quote";
                }
                code.Append(' ');
                i = end;
            }
            else if (c == '/' && i + 1 < sql.Length && sql[i + 1] == '*')
            {
                if (i + 2 < sql.Length && (sql[i + 2] == '!' || (sql[i + 2] == 'M' && i + 3 < sql.Length && sql[i + 3] == '!')))
                {
                    return "its sql has an executable comment (/*! … */): write the query without it";
                }
                var end = sql.IndexOf("*/", i + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    return "its sql has an unclosed comment";
                }
                code.Append(' ');
                i = end + 1;
            }
            else if (c == '#' || (c == '-' && i + 2 < sql.Length && sql[i + 1] == '-' && char.IsWhiteSpace(sql[i + 2])))
            {
                var end = sql.IndexOf('\n', i);
                i = end < 0 ? sql.Length : end;
                code.Append(' ');
            }
            else
            {
                code.Append(c);
            }
        }
        var text = code.ToString().Trim().TrimEnd(';').Trim();
        if (text.Contains(';', StringComparison.Ordinal))
        {
            return "its sql has more than one statement: a check is one SELECT";
        }
        var words = System.Text.RegularExpressions.Regex.Split(text.ToUpperInvariant(), @"[^A-Z0-9_$]+").Where(w => w.Length > 0).ToList();
        if (words.FirstOrDefault() is not ("SELECT" or "WITH"))
        {
            return "its sql is not a SELECT: a check only reads";
        }
        if (words.Contains("INTO"))
        {
            return "its sql selects INTO a file or variable: a check only returns its value";
        }
        return null;
    }
}
