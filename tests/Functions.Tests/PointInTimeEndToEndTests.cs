using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests;

/// <summary>
/// Point-in-time recovery end to end in folder mode, with the real runner, restic and MariaDB with binary logging:
/// a backup taken while writes run, archive sessions in between, a recorded time T, a dropped table (the disaster);
/// restores to T into new names on the same server and into a fresh server, one database at a time, and to latest;
/// refusals through the API; a server without binary logging named in status.
/// </summary>
[Collection(FunctionsCollection.Name)]
public sealed class PointInTimeEndToEndTests(FunctionsApp app) : IAsyncLifetime
{
    private const string Ns = FunctionsApp.Namespace;
    private MariaDbServer source = null!;
    private MariaDbServer fresh = null!;

    public async Task InitializeAsync()
    {
        var started = await Task.WhenAll(
            MariaDbServer.StartAsync(["--log-bin=mysql-bin", "--binlog-format=ROW", "--server-id=7"]),
            MariaDbServer.StartAsync());
        (source, fresh) = (started[0], started[1]);
        foreach (var (name, server) in new[] { ("pitr-db", source), ("fresh-db", fresh) })
        {
            await app.WriteAsync("appbindings", name, $$"""
                apiVersion: appcatalog.appscode.com/v1alpha1
                kind: AppBinding
                metadata: { name: {{name}}, namespace: {{Ns}} }
                spec:
                  clientConfig: { url: "tcp(127.0.0.1:{{server.Port}})/" }
                  secret: { name: shop-db-auth }
                """);
        }
    }

    public async Task DisposeAsync()
    {
        await source.DisposeAsync();
        await fresh.DisposeAsync();
    }

    private static string Configuration(string name, string binding) => $$"""
        apiVersion: backup.serverless.dev/v1alpha1
        kind: BackupConfiguration
        metadata: { name: {{name}}, namespace: {{Ns}} }
        spec:
          schedule: "0 0 1 1 *"
          repository: { name: local }
          target:
            ref: { apiVersion: appcatalog.appscode.com/v1alpha1, kind: AppBinding, name: {{binding}} }
            databases: [pitr_a, pitr_b]
          pointInTime: { enabled: true, schedule: "0 0 1 1 *" }
        """;

    private async Task<JsonElement> SessionAsync(HttpResponseMessage start, string plural)
    {
        Assert.True(start.StatusCode == HttpStatusCode.Accepted, await start.Content.ReadAsStringAsync());
        var session = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("session").GetString()!;
        return await app.WaitForSessionAsync(plural, session, TimeSpan.FromMinutes(3));
    }

    private async Task ArchiveAsync(string configuration = "pitr", string expected = "Succeeded")
    {
        var done = await SessionAsync(await app.Http.PostAsJsonAsync($"/api/repositories/{Ns}/local/maintenance", new { task = "archive", configuration }), "maintenancesessions");
        Assert.True(done.GetProperty("phase").GetString() == expected, done + "\n" + app.Output);
    }

    private async Task<JsonElement> RestoreAsync(object body)
    {
        var done = await SessionAsync(await app.Http.PostAsJsonAsync($"/api/restores/{Ns}", body), "restoresessions");
        Assert.True(done.GetProperty("phase").GetString() == "Succeeded", done + "\n" + app.Output);
        return done;
    }

    private static async Task WriteAsync(MariaDbServer server, string database, int from, int count)
    {
        for (var i = from; i < from + count; i++)
        {
            await server.ExecuteAsync($"INSERT INTO orders (id, note) VALUES ({i}, 'order {i}'); UPDATE totals SET n = n + 1;", database);
        }
    }

    /// <summary>The second after every write so far: writes from now on carry a later timestamp.</summary>
    private static async Task<DateTimeOffset> MarkAsync()
    {
        await Task.Delay(1100);
        var now = DateTimeOffset.UtcNow;
        var mark = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        await Task.Delay(1100);
        return mark;
    }

    [Fact]
    public async Task A_dropped_table_is_restored_to_the_second_before_into_new_names_and_into_a_fresh_server()
    {
        foreach (var database in new[] { "pitr_a", "pitr_b" })
        {
            await source.ExecuteAsync($"DROP DATABASE IF EXISTS {database}; CREATE DATABASE {database};");
            await source.ExecuteAsync("CREATE TABLE orders (id INT PRIMARY KEY, note VARCHAR(100)); CREATE TABLE totals (n INT); INSERT INTO totals VALUES (0);", database);
            await WriteAsync(source, database, 1, 50);
        }
        await app.WriteAsync("backupconfigurations", "pitr", Configuration("pitr", "pitr-db"));
        var beforeBackup = await MarkAsync();

        // Writes run during the full backup and after it.
        using var stopWriter = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            var i = 1000;
            while (!stopWriter.IsCancellationRequested)
            {
                await WriteAsync(source, "pitr_a", i++, 1);
            }
            return i;
        });
        var backup = await SessionAsync(await app.Http.PostAsync($"/api/backups/{Ns}/pitr", null), "backupsessions");
        await stopWriter.CancelAsync();
        var written = await writer;
        Assert.True(backup.GetProperty("phase").GetString() == "Succeeded", backup + "\n" + app.Output);
        await WriteAsync(source, "pitr_a", written, 20);
        await WriteAsync(source, "pitr_b", 100, 20);
        await ArchiveAsync();

        // DDL and a committed transaction between the dump and T are replayed.
        await source.ExecuteAsync("ALTER TABLE orders ADD COLUMN shipped TINYINT NOT NULL DEFAULT 0; CREATE TABLE refunds (id INT PRIMARY KEY);", "pitr_a");
        await source.ExecuteAsync("START TRANSACTION; INSERT INTO refunds VALUES (1); UPDATE orders SET shipped = 1 WHERE id < 10; COMMIT;", "pitr_a");
        await WriteAsync(source, "pitr_b", 200, 5);
        var t = await MarkAsync();
        var atT = (await SampleDatabase.FingerprintAsync(source, "pitr_a"), await SampleDatabase.FingerprintAsync(source, "pitr_b"));

        // After T: a transaction, more writes, an archive run, then the disaster, archived too.
        await source.ExecuteAsync("START TRANSACTION; INSERT INTO refunds VALUES (2); COMMIT;", "pitr_a");
        await WriteAsync(source, "pitr_b", 300, 5);
        await ArchiveAsync();
        await source.ExecuteAsync("DROP TABLE orders;", "pitr_a");
        var latest = (await SampleDatabase.FingerprintAsync(source, "pitr_a"), await SampleDatabase.FingerprintAsync(source, "pitr_b"));
        // The drop lands in a second before the archive's FLUSH, so the window that ends at the FLUSH holds it whole.
        await Task.Delay(1100);
        await ArchiveAsync();

        var window = await app.Http.GetFromJsonAsync<JsonElement>($"/api/configurations/{Ns}/pitr/pointintime");
        Assert.True(window.GetProperty("latest").GetDateTimeOffset() >= t, window.ToString());
        Assert.True(window.GetProperty("earliest").GetDateTimeOffset() <= t, window.ToString());
        Assert.Equal(0, window.GetProperty("gaps").GetArrayLength());
        Assert.Contains("mysql_backup_configuration_pitr_latest_recoverable_timestamp_seconds{namespace=\"shop\",configuration=\"pitr\"}", await app.Http.GetStringAsync("/api/metrics"));

        // To T under new names on the same server, one database at a time, each filtered to itself.
        var at = t.ToString("yyyy-MM-ddTHH:mm:ssZ");
        await RestoreAsync(new { repository = "local", target = "pitr-db", configuration = "pitr", pointInTime = at, databases = new[] { "pitr_a" }, rename = new Dictionary<string, string> { ["pitr_a"] = "pitr_a_t" } });
        await RestoreAsync(new { repository = "local", target = "pitr-db", configuration = "pitr", pointInTime = at, databases = new[] { "pitr_b" }, rename = new Dictionary<string, string> { ["pitr_b"] = "pitr_b_t" } });
        Assert.Equal(atT.Item1, await SampleDatabase.FingerprintAsync(source, "pitr_a_t"));
        Assert.Equal(atT.Item2, await SampleDatabase.FingerprintAsync(source, "pitr_b_t"));
        Assert.Equal([["1"]], await source.QueryAsync("SELECT id FROM refunds ORDER BY id", "pitr_a_t"));

        // To T into a fresh server: both databases.
        await RestoreAsync(new { repository = "local", target = "fresh-db", configuration = "pitr", pointInTime = at });
        Assert.Equal(atT.Item1, await SampleDatabase.FingerprintAsync(fresh, "pitr_a"));
        Assert.Equal(atT.Item2, await SampleDatabase.FingerprintAsync(fresh, "pitr_b"));

        // Latest: the state after the last archived write (the drop included).
        await RestoreAsync(new { repository = "local", target = "fresh-db", configuration = "pitr", pointInTime = "latest", overwrite = true, rename = new Dictionary<string, string> { ["pitr_a"] = "pitr_a_latest", ["pitr_b"] = "pitr_b_latest" } });
        Assert.Equal(latest.Item1, await SampleDatabase.FingerprintAsync(fresh, "pitr_a_latest"));
        Assert.Equal(latest.Item2, await SampleDatabase.FingerprintAsync(fresh, "pitr_b_latest"));

        // Refused before anything is created: before the first backup, in the future.
        foreach (var (time, expected) in new[]
        {
            (beforeBackup.ToString("yyyy-MM-ddTHH:mm:ssZ"), "is before the first full backup"),
            (DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ"), "is in the future"),
        })
        {
            var refused = await app.Http.PostAsJsonAsync($"/api/restores/{Ns}", new { repository = "local", target = "fresh-db", configuration = "pitr", pointInTime = time });
            var text = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.UnprocessableEntity, text);
            Assert.Contains(expected, text);
            Assert.Contains("recoverable window", text);
        }
    }

    [Fact]
    public async Task A_server_without_binary_logging_fails_the_archive_and_its_status_names_log_bin()
    {
        // The shared server of the other tests runs with --skip-log-bin.
        await app.WriteAsync("backupconfigurations", "nolog", Configuration("nolog", "shop-db").Replace("[pitr_a, pitr_b]", "[nolog]"));

        await ArchiveAsync("nolog", "Failed");

        var status = app.Read<BackupConfiguration>("backupconfigurations", "nolog")!.Status!.PointInTime!;
        Assert.StartsWith("BinaryLogUnavailable", status.LastError);
        Assert.Contains("log_bin", status.LastError);
        var view = await app.Http.GetFromJsonAsync<JsonElement>($"/api/configurations/{Ns}/nolog/pointintime");
        Assert.Contains("log_bin", view.GetProperty("lastError").GetString());
    }
}
