using Microsoft.Extensions.Logging;
using MySqlConnector;
using Serverless.Backup.Core;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Database;
using Serverless.Backup.Runner.Logging;

namespace Serverless.Backup.Runner.Verify;

/// <summary>
/// The scratch databases of one verify run: created only when absent (never one that existed before the run), and
/// every one created dropped at the end, whatever happened in between. Each is recorded in the repository's storage
/// before it is created (<see cref="ScratchRecords"/>), so that one a killed run could not drop is dropped by the next.
/// </summary>
public sealed class ScratchDatabases(MySqlServer server, string endpoint, ScratchRecords records, string @namespace, string session, ILogger log)
{
    private readonly List<string> _created = [];
    private readonly Dictionary<string, ScratchRecords.Record> _records = [];

    public IReadOnlyList<string> Created => _created;

    /// <summary>CREATE DATABASE without IF NOT EXISTS: a database that appeared since the run looked is refused, not reused.</summary>
    public async Task CreateAsync(string scratch, string? characterSet, string? collation, string source, CancellationToken cancellationToken)
    {
        var sql = $"CREATE DATABASE {MySqlServer.QuoteIdentifier(scratch)}";
        if (characterSet is not null && IsIdentifier(characterSet))
        {
            sql += $" CHARACTER SET {characterSet}";
            if (collation is not null && IsIdentifier(collation))
            {
                sql += $" COLLATE {collation}";
            }
        }
        var record = await records.AnnounceAsync(endpoint, scratch, @namespace, session, cancellationToken);
        try
        {
            await using var connection = await server.OpenAsync(cancellationToken);
            await using var command = new MySqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
            _created.Add(scratch);
            _records[scratch] = record;
        }
        catch (MySqlException e) when (e.ErrorCode == MySqlErrorCode.DatabaseCreateExists)
        {
            // Not ours: its record must never lead a later run to drop it.
            await records.SettleAsync(record, CancellationToken.None);
            throw new RunnerFailure(FailureReason.InvalidSettings,
                $"the scratch database {DatabaseNames.Show(scratch)} appeared on {endpoint} during the run: it was left as it is; drop it or choose another VERIFY_DATABASE_PREFIX", source, e);
        }
        catch (MySqlException e)
        {
            await records.SettleAsync(record, CancellationToken.None);
            throw new RunnerFailure(FailureReason.RestoreFailed,
                $"could not create the scratch database {DatabaseNames.Show(scratch)} on {endpoint} ({e.Message}): grant the verify user (VERIFY_USER) CREATE and DROP, or set VERIFY_DATABASE_PREFIX to a shorter prefix", source, e);
        }
    }

    /// <summary>Drops every scratch database this run created; returns those it could not drop (with why).</summary>
    public async Task<IReadOnlyList<string>> DropAllAsync()
    {
        var left = new List<string>();
        // Cleanup runs after a SIGTERM too: it has its own time limit, not the run's token.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        foreach (var scratch in _created.ToList())
        {
            try
            {
                await using var connection = await server.OpenAsync(timeout.Token);
                await using var command = new MySqlCommand($"DROP DATABASE IF EXISTS {MySqlServer.QuoteIdentifier(scratch)}", connection);
                await command.ExecuteNonQueryAsync(timeout.Token);
                _created.Remove(scratch);
                if (_records.Remove(scratch, out var record))
                {
                    await records.SettleAsync(record, timeout.Token);
                }
                log.Info($"dropped the scratch database {DatabaseNames.Show(scratch)}");
            }
            catch (Exception e) when (e is MySqlException or OperationCanceledException or InvalidOperationException or IOException or HttpRequestException)
            {
                left.Add($"{DatabaseNames.Show(scratch)} ({e.Message})");
            }
        }
        return left;
    }

    private static bool IsIdentifier(string value) => value.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
