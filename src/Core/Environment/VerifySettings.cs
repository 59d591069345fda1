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
        return null;
    }
}
