using Microsoft.Extensions.Logging;
using MySqlConnector;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Database;
using Serverless.Backup.Runner.Logging;

namespace Serverless.Backup.Runner.Privileges;

/// <summary>
/// Before a backup dumps anything: can the user read everything of every database it backs up? mysqldump exits 0
/// without what it may not read (see <see cref="PrivilegeRequirements"/>), so a backup that looks good could be
/// missing data; the run fails instead with <see cref="FailureReason.InsufficientPrivileges"/>, naming each
/// database, what is missing and the GRANT that fixes it. Three small queries, whatever the number of tables:
/// the server's version and the account, SHOW GRANTS (with the enabled roles'), and the objects' names.
/// </summary>
public sealed class PrivilegeCheck(MySqlServer server, DumpOptions options, ILogger log)
{
    public async Task CheckAsync(IReadOnlyList<string> databases, CancellationToken cancellationToken)
    {
        await using var connection = await server.OpenAsync(cancellationToken);
        ServerKind kind;
        string user, host;
        bool ignoreCase;
        List<string> lines;
        List<DumpObject> objects;
        try
        {
            (kind, user, host, ignoreCase) = await ReadServerAsync(connection, cancellationToken);
            lines = await ReadGrantsAsync(connection, kind, cancellationToken);
            objects = await ReadObjectsAsync(connection, databases, cancellationToken);
        }
        catch (MySqlException e) when (!cancellationToken.IsCancellationRequested)
        {
            // Never block a backup on what the check itself could not read; the dump's own checks still apply.
            log.Warning($"the user's privileges could not be read ({e.Message}); the backup goes ahead unchecked");
            return;
        }

        var grants = new List<Grant>();
        var unread = new List<string>();
        foreach (var line in lines)
        {
            if (GrantParser.Parse(line) is { } parsed)
            {
                grants.AddRange(parsed);
            }
            else
            {
                unread.Add(line);
            }
        }
        var shortfalls = new PrivilegeRequirements(new AccountGrants(grants, kind, ignoreCase, $"{user}@{host}"), kind, options, ignoreCase).Check(databases, objects);
        if (shortfalls.Count == 0)
        {
            return;
        }
        var account = SqlText.Account(user, host);
        var message = Message(account, shortfalls);
        if (unread.Count > 0)
        {
            // A grant line this check does not understand may hold what looks missing: warn rather than refuse.
            log.Warning($"{message} (not refused: SHOW GRANTS has lines this check does not read: {string.Join(" | ", unread)})");
            return;
        }
        throw new RunnerFailure(FailureReason.InsufficientPrivileges, message, shortfalls.FirstOrDefault(s => s.Database is not null)?.Database);
    }

    /// <summary>
    /// Refuses a point-in-time run (a backup that records its position, or the archive verb) whose user lacks a
    /// global privilege it needs (<see cref="PrivilegeRequirements.Binlog"/>), naming the GRANT to run.
    /// </summary>
    public Task CheckBinlogAsync(bool archive, CancellationToken cancellationToken) =>
        CheckGlobalAsync((grants, kind) => PrivilegeRequirements.Binlog(grants, kind, archive),
            archive ? "the archive of binary logs" : "a backup that records its binary-log position (BINLOG_RECORD_POSITION)", cancellationToken);

    /// <summary>
    /// Refuses a point-in-time restore whose user may not apply the archived row events
    /// (<see cref="PrivilegeRequirements.Replay"/>), before anything is written.
    /// </summary>
    public Task CheckReplayAsync(CancellationToken cancellationToken) =>
        CheckGlobalAsync(PrivilegeRequirements.Replay, "a point-in-time restore (replaying binary logs)", cancellationToken);

    private async Task CheckGlobalAsync(Func<AccountGrants, ServerKind, Shortfall?> need, string purpose, CancellationToken cancellationToken)
    {
        await using var connection = await server.OpenAsync(cancellationToken);
        ServerKind kind;
        string user, host;
        bool ignoreCase;
        List<string> lines;
        try
        {
            (kind, user, host, ignoreCase) = await ReadServerAsync(connection, cancellationToken);
            lines = await ReadGrantsAsync(connection, kind, cancellationToken);
        }
        catch (MySqlException e) when (!cancellationToken.IsCancellationRequested)
        {
            log.Warning($"the user's privileges could not be read ({e.Message}); the run goes ahead unchecked");
            return;
        }
        var grants = new List<Grant>();
        var unread = new List<string>();
        foreach (var line in lines)
        {
            if (GrantParser.Parse(line) is { } parsed)
            {
                grants.AddRange(parsed);
            }
            else
            {
                unread.Add(line);
            }
        }
        if (need(new AccountGrants(grants, kind, ignoreCase, $"{user}@{host}"), kind) is not { } shortfall)
        {
            return;
        }
        var account = SqlText.Account(user, host);
        var message = $"user {account} lacks privileges {purpose} needs: "
            + string.Join("; ", shortfall.Problems)
            + $". Grant them: {string.Join("; ", shortfall.Grants.Select(g => g.ToSql(account)))}";
        if (unread.Count > 0)
        {
            log.Warning($"{message} (not refused: SHOW GRANTS has lines this check does not read: {string.Join(" | ", unread)})");
            return;
        }
        throw new RunnerFailure(FailureReason.InsufficientPrivileges, message);
    }

    public static string Message(string account, IReadOnlyList<Shortfall> shortfalls)
    {
        var problems = shortfalls.Select(s => $"{char.ToUpperInvariant(s.Subject[0])}{s.Subject[1..]}: {string.Join("; ", s.Problems)}.");
        var fixes = shortfalls.SelectMany(s => s.Grants).Select(g => g.ToSql(account)).Distinct(StringComparer.Ordinal);
        return $"user {account} lacks privileges the backup needs (the dump leaves out what it may not read and still succeeds, or fails). "
            + string.Join(" ", problems)
            + $" Grant them: {string.Join("; ", fixes)}. To leave something out of the backup on purpose instead, add --ignore-table=<database>.<table>, --skip-triggers, --skip-routines or --skip-events to MYSQL_DUMP_ARGS";
    }

    private static async Task<(ServerKind Kind, string User, string Host, bool IgnoreCase)> ReadServerAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand("SELECT VERSION(), CURRENT_USER(), @@lower_case_table_names", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        // CURRENT_USER() is the account the server matched, user@host; a user name may hold '@', a host may not.
        var current = reader.GetString(1);
        var at = current.LastIndexOf('@');
        return (ServerKind.Parse(reader.GetString(0)), current[..at], current[(at + 1)..], Convert.ToInt64(reader.GetValue(2), System.Globalization.CultureInfo.InvariantCulture) != 0);
    }

    /// <summary>
    /// SHOW GRANTS of the current user. MariaDB adds the lines of the enabled roles (and of roles granted to them,
    /// and PUBLIC); MySQL 8 does so only for the roles named in USING, which CURRENT_ROLE() lists already quoted.
    /// </summary>
    private static async Task<List<string>> ReadGrantsAsync(MySqlConnection connection, ServerKind kind, CancellationToken cancellationToken)
    {
        var sql = "SHOW GRANTS";
        if (kind.NeedsRolesNamed)
        {
            await using var roles = new MySqlCommand("SELECT CURRENT_ROLE()", connection);
            if (await roles.ExecuteScalarAsync(cancellationToken) is string enabled && enabled.Length > 0 && enabled != "NONE")
            {
                sql = "SHOW GRANTS FOR CURRENT_USER() USING " + enabled;
            }
        }
        await using var command = new MySqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var lines = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            lines.Add(reader.GetString(0));
        }
        return lines;
    }

    /// <summary>Every table, view and sequence of the databases that the user can see, in one query.</summary>
    private static async Task<List<DumpObject>> ReadObjectsAsync(MySqlConnection connection, IReadOnlyList<string> databases, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand { Connection = connection };
        var names = new List<string>();
        for (var i = 0; i < databases.Count; i++)
        {
            names.Add($"@d{i}");
            command.Parameters.AddWithValue($"@d{i}", databases[i]);
        }
        command.CommandText = $"SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA IN ({string.Join(", ", names)}) ORDER BY TABLE_SCHEMA, TABLE_NAME";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var objects = new List<DumpObject>();
        while (await reader.ReadAsync(cancellationToken))
        {
            objects.Add(new(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }
        return objects;
    }
}
