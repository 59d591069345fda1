using System.Globalization;
using MySqlConnector;
using Serverless.Backup.Core;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;

namespace Serverless.Backup.Runner.Verify;

/// <summary>
/// Runs VERIFY_CHECKS on the scratch copies. Each query runs in a read-only transaction of a session whose
/// transactions are all read-only, and is rolled back: the server refuses any write, DDL included (a statement
/// that would commit implicitly starts the next transaction read-only too), so a check can never change the copy
/// it judges.
/// </summary>
public sealed class VerifyChecks(DatabaseSettings scratchServer)
{
    public async Task<CheckResult> RunAsync(VerifyCheck check, string scratch, CancellationToken cancellationToken)
    {
        var name = check.Name!;
        decimal value;
        try
        {
            await using var connection = new MySqlConnection(ConnectionString(scratch));
            await connection.OpenAsync(cancellationToken);
            await using (var start = new MySqlCommand("SET SESSION TRANSACTION READ ONLY; START TRANSACTION READ ONLY", connection))
            {
                await start.ExecuteNonQueryAsync(cancellationToken);
            }
            object? first;
            try
            {
                await using var query = new MySqlCommand(check.Sql, connection);
                await using var reader = await query.ExecuteReaderAsync(cancellationToken);
                first = await reader.ReadAsync(cancellationToken) && reader.FieldCount > 0 ? reader.GetValue(0) : null;
            }
            finally
            {
                await using var rollback = new MySqlCommand("ROLLBACK", connection);
                await rollback.ExecuteNonQueryAsync(CancellationToken.None);
            }
            if (first is null or DBNull)
            {
                return new CheckResult(name, false, $"check '{name}' returned no value (its query must return a number in the first column of its first row)");
            }
            if (!decimal.TryParse(Convert.ToString(first, CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture, out value))
            {
                // The value is not echoed: a query can read what a report must not carry (another table, a secret).
                return new CheckResult(name, false, $"check '{name}' returned a value that is not a number ({first.GetType().Name}): its query must return a number in the first column of its first row");
            }
        }
        catch (MySqlException e) when (e.ErrorCode == MySqlErrorCode.CannotExecuteInReadOnlyTransaction)
        {
            return new CheckResult(name, false, $"check '{name}' tried to write, which a check may not: the server refused it in the read-only transaction ({e.Message})");
        }
        catch (MySqlException e) when (!cancellationToken.IsCancellationRequested)
        {
            return new CheckResult(name, false, $"check '{name}' failed on the scratch copy of {DatabaseNames.Show(check.Database)}: {e.Message}");
        }

        var shown = value.ToString(CultureInfo.InvariantCulture);
        if (check.EqualTo is { } equal && value != equal)
        {
            return new CheckResult(name, false, $"check '{name}' found {shown}, expected {equal.ToString(CultureInfo.InvariantCulture)}");
        }
        if (check.Min is { } min && value < min)
        {
            return new CheckResult(name, false, $"check '{name}' found {shown}, less than its min {min.ToString(CultureInfo.InvariantCulture)}");
        }
        if (check.Max is { } max && value > max)
        {
            return new CheckResult(name, false, $"check '{name}' found {shown}, more than its max {max.ToString(CultureInfo.InvariantCulture)}");
        }
        return new CheckResult(name, true, $"check '{name}' found {shown}");
    }

    private string ConnectionString(string database)
    {
        var builder = new MySqlConnectionStringBuilder
        {
            Server = scratchServer.Host,
            Port = (uint)scratchServer.Port,
            UserID = scratchServer.User,
            Password = scratchServer.Password ?? "",
            Database = database,
            ConnectionTimeout = 5,
            DefaultCommandTimeout = 300,
            AllowPublicKeyRetrieval = true,
            Pooling = false,
            SslMode = scratchServer.SslCa is null ? MySqlSslMode.Preferred : MySqlSslMode.VerifyCA,
        };
        if (scratchServer.SslCa is not null)
        {
            builder.SslCa = scratchServer.SslCa;
        }
        return builder.ConnectionString;
    }
}
