using Microsoft.Extensions.Logging;
using MySqlConnector;
using Serverless.Backup.Core;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Logging;
using Serverless.Backup.Runner.Privileges;

namespace Serverless.Backup.Runner.Database;

/// <summary>The database server the run works on, through MySqlConnector (the dump and apply go through the MySQL tools).</summary>
public sealed class MySqlServer(DatabaseSettings settings, ILogger log)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (string CharacterSet, string Collation)> _defaults = new(StringComparer.Ordinal);

    private string Endpoint => $"{settings.Host}:{settings.Port}";

    private string ConnectionString(string? database = null)
    {
        var builder = new MySqlConnectionStringBuilder
        {
            Server = settings.Host,
            Port = (uint)settings.Port,
            UserID = settings.User,
            Password = settings.Password ?? "",
            ConnectionTimeout = 5,
            DefaultCommandTimeout = 60,
            AllowPublicKeyRetrieval = true,
            Pooling = false,
            SslMode = settings.SslCa is null ? MySqlSslMode.Preferred : MySqlSslMode.VerifyCA,
        };
        if (settings.SslCa is not null)
        {
            builder.SslCa = settings.SslCa;
        }
        if (database is not null)
        {
            builder.Database = database;
        }
        return builder.ConnectionString;
    }

    /// <summary>
    /// Polls SELECT 1 until it answers or the wait timeout passes. Refused credentials fail at once (waiting does
    /// not fix them); an unreachable host is retried until the timeout.
    /// </summary>
    public async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + settings.WaitTimeout;
        while (true)
        {
            try
            {
                await using var connection = new MySqlConnection(ConnectionString());
                await connection.OpenAsync(cancellationToken);
                await using var command = new MySqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(cancellationToken);
                return;
            }
            catch (MySqlException e) when (e.ErrorCode is MySqlErrorCode.AccessDenied or MySqlErrorCode.DatabaseAccessDenied)
            {
                throw new RunnerFailure(FailureReason.DatabaseAccessDenied,
                    $"the database at {Endpoint} refused user '{settings.User}' ({e.Message}): check MYSQL_USER and MYSQL_PASSWORD (the AppBinding's secret)", inner: e);
            }
            catch (MySqlException e) when (!cancellationToken.IsCancellationRequested)
            {
                if (DateTime.UtcNow + PollInterval > deadline)
                {
                    throw new RunnerFailure(FailureReason.DatabaseUnreachable,
                        $"the database at {Endpoint} could not be reached within {settings.WaitTimeout.TotalSeconds:0} s ({e.Message}): check MYSQL_HOST and MYSQL_PORT, that the server is running, or raise MYSQL_WAIT_TIMEOUT_SECONDS", inner: e);
                }
                log.WaitingForDatabase(Endpoint, e.Message);
                await Task.Delay(PollInterval, cancellationToken);
            }
        }
    }

    /// <summary>The databases to dump: the listed ones (each must exist), or every user database.</summary>
    public async Task<IReadOnlyList<string>> ResolveDatabasesAsync(CancellationToken cancellationToken)
    {
        var existing = await ListDatabasesAsync(cancellationToken);
        if (settings.Databases.Count == 0)
        {
            var user = existing.Where(d => !IsServerOwn(d)).ToList();
            return user.Count > 0
                ? user
                : throw new RunnerFailure(FailureReason.DatabaseNotFound,
                    $"the server at {Endpoint} has no user database to back up: create one, or list databases in MYSQL_DATABASES");
        }
        var missing = settings.Databases.Where(d => !existing.Contains(d, StringComparer.Ordinal)).ToList();
        if (missing.Count == 0)
        {
            return settings.Databases;
        }
        // A user sees only the databases it holds a privilege on (unless it has SHOW DATABASES): name both causes.
        var account = await CurrentAccountAsync(cancellationToken);
        var grants = string.Join("; ", missing.Select(m => $"GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON {SqlText.DatabaseTarget(m)} TO {account}"));
        throw new RunnerFailure(FailureReason.DatabaseNotFound,
            $"database {string.Join(", ", missing.Select(DatabaseNames.Show))} does not exist on {Endpoint}, or user {account} has no privilege on it and so cannot see it: fix MYSQL_DATABASES, or grant the user access ({grants}); the databases user {account} sees are {string.Join(", ", existing.Where(d => !IsServerOwn(d)).Select(DatabaseNames.Show))}",
            missing[0]);
    }

    /// <summary>A connection as the run's user, for queries of its own (the privilege check).</summary>
    public async Task<MySqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new MySqlConnection(ConnectionString());
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>The account the server matched for the user, as GRANT names it: 'user'@'host'.</summary>
    private async Task<string> CurrentAccountAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = new MySqlCommand("SELECT CURRENT_USER()", connection);
        var current = (string)(await command.ExecuteScalarAsync(cancellationToken))!;
        // user@host; a user name may hold '@', a host may not.
        var at = current.LastIndexOf('@');
        return SqlText.Account(current[..at], current[(at + 1)..]);
    }

    /// <summary>
    /// The server's own databases are never dumped by default (list one in MYSQL_DATABASES to dump it). The server
    /// names them in lower case; a user database 'MySQL' on a server with case-sensitive names is user data.
    /// </summary>
    private static bool IsServerOwn(string database) => DatabaseNames.System.Contains(database, StringComparer.Ordinal);

    public async Task<IReadOnlyList<string>> ListDatabasesAsync(CancellationToken cancellationToken)
    {
        // SCHEMATA shows what SHOW DATABASES shows, with each database's defaults, which the backup needs next.
        await using var connection = new MySqlConnection(ConnectionString());
        await connection.OpenAsync(cancellationToken);
        await using var command = new MySqlCommand(
            "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var name = reader.GetString(0);
            result.Add(name);
            _defaults[name] = (reader.GetString(1), reader.GetString(2));
        }
        return result;
    }

    /// <summary>
    /// The database's default character set and collation, carried with the snapshot so a restore recreates them:
    /// as listed when the run resolved its databases, else read now.
    /// </summary>
    public async Task<(string CharacterSet, string Collation)> GetDefaultsAsync(string database, CancellationToken cancellationToken)
    {
        if (_defaults.TryGetValue(database, out var known))
        {
            return known;
        }
        await using var connection = new MySqlConnection(ConnectionString());
        await connection.OpenAsync(cancellationToken);
        await using var command = new MySqlCommand(
            "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = @name", connection);
        command.Parameters.AddWithValue("@name", database);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? (reader.GetString(0), reader.GetString(1))
            : throw new RunnerFailure(FailureReason.DatabaseNotFound, $"database {DatabaseNames.Show(database)} disappeared from {Endpoint} during the run", database);
    }

    /// <summary>
    /// How the server matches database names: exactly, or without letter case when lower_case_table_names is set
    /// (then 'Shop' and 'shop' are one database).
    /// </summary>
    public async Task<StringComparer> NameComparerAsync(CancellationToken cancellationToken)
    {
        await using var connection = new MySqlConnection(ConnectionString());
        await connection.OpenAsync(cancellationToken);
        await using var command = new MySqlCommand("SELECT @@lower_case_table_names", connection);
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) == 0
            ? StringComparer.Ordinal
            : StringComparer.OrdinalIgnoreCase;
    }

    /// <summary>
    /// What each of the databases holds now, or null for one that does not exist, with names matched as the server
    /// matches them (<see cref="NameComparerAsync"/>). information_schema compares names under a case- and
    /// accent-insensitive collation, so its rows are matched to the names here, not in SQL.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, DatabaseContents?>> DescribeAsync(
        IReadOnlyCollection<string> databases, StringComparer comparer, CancellationToken cancellationToken)
    {
        if (databases.Count == 0)
        {
            return new Dictionary<string, DatabaseContents?>();
        }
        await using var connection = new MySqlConnection(ConnectionString());
        await connection.OpenAsync(cancellationToken);
        var names = databases.Distinct(comparer).ToList();
        var parameters = string.Join(", ", names.Select((_, i) => $"@p{i}"));
        async Task<List<(string Schema, string Name, string Kind)>> RowsAsync(string sql)
        {
            await using var command = new MySqlCommand(sql, connection);
            for (var i = 0; i < names.Count; i++)
            {
                command.Parameters.AddWithValue($"@p{i}", names[i]);
            }
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var rows = new List<(string, string, string)>();
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }
            return rows;
        }
        var schemas = await RowsAsync($"SELECT SCHEMA_NAME, SCHEMA_NAME, 'schema' FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN ({parameters})");
        var objects = new List<(string Schema, string Name, string Kind)>();
        objects.AddRange(await RowsAsync($"SELECT TABLE_SCHEMA, TABLE_NAME, IF(TABLE_TYPE = 'VIEW', 'view', 'table') FROM information_schema.TABLES WHERE TABLE_SCHEMA IN ({parameters})"));
        objects.AddRange(await RowsAsync($"SELECT ROUTINE_SCHEMA, ROUTINE_NAME, 'routine' FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA IN ({parameters})"));
        objects.AddRange(await RowsAsync($"SELECT EVENT_SCHEMA, EVENT_NAME, 'event' FROM information_schema.EVENTS WHERE EVENT_SCHEMA IN ({parameters})"));

        var result = new Dictionary<string, DatabaseContents?>(StringComparer.Ordinal);
        foreach (var database in databases)
        {
            if (!schemas.Any(s => comparer.Equals(s.Schema, database)))
            {
                result[database] = null;
                continue;
            }
            var own = objects.Where(o => comparer.Equals(o.Schema, database)).ToList();
            int Count(string kind) => own.Count(o => o.Kind == kind);
            result[database] = new DatabaseContents(Count("table"), Count("view"), Count("routine"), Count("event"),
                own.Select(o => o.Name).Take(5).ToList());
        }
        return result;
    }

    /// <summary>
    /// The length in bytes of the folder name the server would give a new database: each character other than an
    /// ASCII letter, digit or '_' is encoded (as '@' and 2 or 4 more characters), and a folder name holds at most
    /// 255 bytes. Null when the server cannot say (no 'filename' character set).
    /// </summary>
    public async Task<int?> FolderNameBytesAsync(string database, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new MySqlConnection(ConnectionString());
            await connection.OpenAsync(cancellationToken);
            await using var command = new MySqlCommand("SELECT LENGTH(CONVERT(@name USING filename))", connection);
            command.Parameters.AddWithValue("@name", database);
            return await command.ExecuteScalarAsync(cancellationToken) is { } length and not DBNull
                ? Convert.ToInt32(length, System.Globalization.CultureInfo.InvariantCulture)
                : null;
        }
        catch (MySqlException)
        {
            // A server without the conversion: CREATE DATABASE gives its own answer later.
            return null;
        }
    }

    /// <summary>Creates the target database of a restore if it does not exist yet.</summary>
    public async Task CreateDatabaseAsync(string database, string? characterSet, string? collation, CancellationToken cancellationToken)
    {
        // Any name the server accepts may arrive here (backticks included): quoted as an identifier, backticks doubled.
        // The charset and collation come from our own tags and are checked to be plain identifiers.
        var sql = $"CREATE DATABASE IF NOT EXISTS {QuoteIdentifier(database)}";
        if (characterSet is not null && IsIdentifier(characterSet))
        {
            sql += $" CHARACTER SET {characterSet}";
            if (collation is not null && IsIdentifier(collation))
            {
                sql += $" COLLATE {collation}";
            }
        }
        try
        {
            await using var connection = new MySqlConnection(ConnectionString());
            await connection.OpenAsync(cancellationToken);
            await using var command = new MySqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (MySqlException e)
        {
            // ER_WRONG_DB_NAME, or ER_CANT_GET_STAT: a folder name the file system cannot hold (a long non-ASCII name).
            var hint = e.ErrorCode is MySqlErrorCode.WrongDatabaseName or MySqlErrorCode.CannotGetStatus
                ? "the server refused the name (each database is a folder whose encoded name must fit in 255 bytes, and a character other than an ASCII letter or digit takes up to 5): restore into a shorter name with RESTORE_RENAME (spec.rename)"
                : $"grant user '{settings.User}' CREATE, or create the database first";
            throw new RunnerFailure(FailureReason.RestoreFailed,
                $"could not create database {DatabaseNames.Show(database)} on {Endpoint} ({e.Message}): {hint}", database, e);
        }
    }

    private static bool IsIdentifier(string value) => value.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>A name as a quoted MySQL identifier: in backticks, each backtick doubled.</summary>
    public static string QuoteIdentifier(string name) => "`" + name.Replace("`", "``", StringComparison.Ordinal) + "`";
}
