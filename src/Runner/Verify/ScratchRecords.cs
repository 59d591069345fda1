using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using MySqlConnector;
using Serverless.Backup.Core;
using Serverless.Backup.Runner.Database;
using Serverless.Backup.Runner.Logging;
using Serverless.Backup.Runner.Processes;
using Serverless.Backup.Runner.Storage;

namespace Serverless.Backup.Runner.Verify;

/// <summary>
/// A scratch database a verify run is about to create: written to the repository's storage before CREATE DATABASE
/// and removed once the database is dropped. A run that was killed (SIGKILL, the OOM killer, a lost node) cannot
/// drop its scratch databases nor remove their records; the next verify run on the same scratch server drops every
/// recorded database whose runner has ended (all of them with REPOSITORY_EXCLUSIVE=true, else those of runners on
/// this host whose process is gone) and then the record. Only databases a verify run recorded creating are ever
/// dropped this way. restic never lists this folder.
/// </summary>
public sealed class ScratchRecords(IObjectStore objects, ILogger log)
{
    public const string Folder = "backup-runner/verify-scratch/";

    public sealed record Record
    {
        [JsonIgnore] public string Key { get; init; } = "";
        [JsonPropertyName("endpoint")] public required string Endpoint { get; init; }
        [JsonPropertyName("database")] public required string Database { get; init; }
        [JsonPropertyName("namespace")] public required string Namespace { get; init; }
        [JsonPropertyName("session")] public required string Session { get; init; }
        [JsonPropertyName("host")] public required string Host { get; init; }
        [JsonPropertyName("processId")] public int ProcessId { get; init; }
        [JsonPropertyName("processStart")] public long ProcessStart { get; init; }
        [JsonPropertyName("time")] public DateTimeOffset Time { get; init; }

        public bool HasEnded => new ProcessIdentity(Host, ProcessId, ProcessStart).HasEnded;
    }

    /// <summary>Records the scratch database before it is created.</summary>
    public async Task<Record> AnnounceAsync(string endpoint, string database, string @namespace, string session, CancellationToken cancellationToken)
    {
        var me = ProcessIdentity.Current;
        var record = new Record
        {
            Key = $"{Folder}{Guid.NewGuid():N}.json",
            Endpoint = endpoint, Database = database, Namespace = @namespace, Session = session,
            Host = me.Host, ProcessId = me.ProcessId, ProcessStart = me.StartTicks, Time = DateTimeOffset.UtcNow,
        };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(record);
        using var content = new MemoryStream(bytes, writable: false);
        await objects.TryCreateAsync(record.Key, content, bytes.Length, null, cancellationToken);
        return record;
    }

    /// <summary>The database is gone (dropped, or never created): its record goes.</summary>
    public async Task SettleAsync(Record record, CancellationToken cancellationToken) => await objects.DeleteAsync(record.Key, cancellationToken);

    /// <summary>
    /// Drops the scratch databases on <paramref name="endpoint"/> that ended runs left behind, and their records.
    /// Returns the names dropped. A database that cannot be dropped now keeps its record for a later run.
    /// </summary>
    public async Task<IReadOnlyList<string>> DropLeftoversAsync(MySqlServer server, string endpoint, bool exclusive, CancellationToken cancellationToken)
    {
        await objects.RemoveIncompleteAsync(Folder, exclusive, cancellationToken);
        var dropped = new List<string>();
        foreach (var record in await ReadAllAsync(cancellationToken))
        {
            if (!string.Equals(record.Endpoint, endpoint, StringComparison.OrdinalIgnoreCase) || !(exclusive || record.HasEnded) || DatabaseNames.Problem(record.Database) is not null)
            {
                continue;
            }
            try
            {
                await using var connection = await server.OpenAsync(cancellationToken);
                await using var command = new MySqlCommand($"DROP DATABASE IF EXISTS {MySqlServer.QuoteIdentifier(record.Database)}", connection);
                await command.ExecuteNonQueryAsync(cancellationToken);
                await SettleAsync(record, cancellationToken);
                dropped.Add(record.Database);
                log.Warning($"dropped the scratch database {DatabaseNames.Show(record.Database)} that verify session {record.Namespace}/{record.Session} left on {endpoint} when it was killed");
            }
            catch (MySqlException e)
            {
                log.Warning($"could not drop the scratch database {DatabaseNames.Show(record.Database)} left by verify session {record.Namespace}/{record.Session} ({e.Message}); a later verify run tries again");
            }
        }
        return dropped;
    }

    private async Task<List<Record>> ReadAllAsync(CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        await foreach (var item in objects.ListAsync(Folder, cancellationToken))
        {
            keys.Add(item.Key);
        }
        var records = new List<Record>();
        foreach (var key in keys.Where(k => k.EndsWith(".json", StringComparison.Ordinal)))
        {
            try
            {
                await using var stream = await objects.OpenReadAsync(key, 0, null, cancellationToken);
                if (await JsonSerializer.DeserializeAsync<Record>(stream, cancellationToken: cancellationToken) is { } record)
                {
                    records.Add(record with { Key = key });
                }
            }
            catch (ObjectNotFoundException)
            {
                // Settled while we looked.
            }
            catch (JsonException e)
            {
                // What it names is unknown: nothing is dropped for it.
                log.Warning($"the scratch-database record {key} is not readable ({e.Message}); it is ignored");
            }
        }
        return records;
    }
}
