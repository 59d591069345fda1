using MySqlConnector;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Runner.Restore;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Runner.Tests.PointInTime;

/// <summary>
/// One history on a server that writes a binary log (ROW format), built once for the point-in-time tests:
/// two databases backed up with their positions while rows are being written, writes and DDL after the dumps
/// (in two binary logs), a transaction committed before T and one begun before T and committed after it, the
/// state at T fingerprinted, then more writes and a dropped table, and every closed log archived. A second
/// configuration has a binary log left out of its archive (a gap). A fresh server is the target of restores
/// "elsewhere".
/// </summary>
public sealed class PointInTimeScenario : IAsyncLifetime
{
    public const string Namespace = "tests";
    public const string A = "pitr_a";
    public const string B = "pitr_b";
    public const string C = "pitr_c";
    public const string Plain = "pitr_plain";

    public MariaDbServer Source { get; private set; } = null!;
    public MariaDbServer Target { get; private set; } = null!;
    public BinlogHistory History { get; private set; } = null!;
    public BinlogHistory GapHistory { get; private set; } = null!;

    /// <summary>The second the fingerprints were taken in.</summary>
    public DateTimeOffset T { get; private set; }
    public DateTimeOffset BeforeFirstDump { get; private set; }
    public DateTimeOffset AfterLastArchive { get; private set; }
    public DateTimeOffset InGap { get; private set; }
    public IReadOnlyDictionary<string, string> AtT { get; private set; } = null!;
    public IReadOnlyDictionary<string, string> Latest { get; private set; } = null!;
    public IReadOnlyDictionary<string, string> DumpIds { get; private set; } = null!;
    public IReadOnlyDictionary<string, long> DumpBytes { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // One after the other: two mariadb-install-db at once can collide on a temporary table of the bootstrap.
        Source = await MariaDbServer.StartAsync(["--log-bin=mysql-bin", "--binlog-format=ROW", "--server-id=1"]);
        // The fresh server writes its own binary log with strict GTIDs, as a primary would: replayed transactions must get its GTIDs.
        Target = await MariaDbServer.StartAsync(["--log-bin=target-bin", "--binlog-format=ROW", "--server-id=2", "--gtid-strict-mode=1"]);

        await Source.ExecuteAsync($"""
            CREATE DATABASE {A}; CREATE DATABASE {B}; CREATE DATABASE {Plain};
            CREATE TABLE {A}.items (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(100) NOT NULL, n INT NOT NULL DEFAULT 0);
            CREATE TABLE {A}.notes (id INT PRIMARY KEY, msg TEXT);
            CREATE TABLE {B}.t (id INT PRIMARY KEY, v VARCHAR(100));
            CREATE TABLE {Plain}.t (id INT PRIMARY KEY);
            INSERT INTO {A}.notes VALUES (1, 'one'), (2, 'two'), (3, 'three');
            INSERT INTO {Plain}.t VALUES (1);
            """);
        for (var i = 0; i < 20; i++)
        {
            await Source.ExecuteAsync($"INSERT INTO {A}.items (v, n) SELECT CONCAT('seed-', seq), seq FROM {A}.seq_1_to_50; INSERT INTO {B}.t VALUES ({i}, 'b-seed-{i}')");
        }

        History = new BinlogHistory(Source, await BinlogHistory.NewRepositoryAsync(), Namespace, "pitr");
        BeforeFirstDump = PointInTimeRestore.Seconds(DateTimeOffset.UtcNow).AddSeconds(-1);
        // Writes while the dumps run: the dump's position says which of them it holds.
        using var stopWriting = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            await using var connection = new MySqlConnection(Source.ConnectionString(A));
            await connection.OpenAsync();
            for (var i = 0; !stopWriting.IsCancellationRequested; i++)
            {
                await using var insert = new MySqlCommand($"INSERT INTO items (v, n) VALUES ('during-dump', {i})", connection);
                await insert.ExecuteNonQueryAsync();
                await Task.Delay(2);
            }
        });
        var ids = new Dictionary<string, string>();
        await Task.Delay(100);
        var dumpA = await History.BackUpAsync("pitr-full-1", A);
        var dumpB = await History.BackUpAsync("pitr-full-1", B);
        ids[A] = dumpA.SnapshotId;
        ids[B] = dumpB.SnapshotId;
        DumpBytes = new Dictionary<string, long> { [A] = dumpA.Bytes, [B] = dumpB.Bytes };
        await History.BackUpAsync("pitr-full-1", Plain, withPosition: false);
        await stopWriting.CancelAsync();
        await writer;
        DumpIds = ids;

        // After the dumps, before T: rows, a committed transaction, DDL under the database as default (as applications do).
        await Source.ExecuteAsync($"""
            UPDATE {A}.items SET n = n + 1 WHERE id % 3 = 0; DELETE FROM {A}.items WHERE id % 7 = 0;
            INSERT INTO {A}.notes VALUES (4, 'after the dump');
            INSERT INTO {B}.t VALUES (100, 'b after the dump'); UPDATE {B}.t SET v = 'b changed' WHERE id = 3;
            START TRANSACTION; INSERT INTO {A}.items (v) VALUES ('committed-before-T'); INSERT INTO {A}.notes VALUES (5, 'in a transaction'); COMMIT;
            """);
        await Source.ExecuteAsync("ALTER TABLE items ADD COLUMN extra INT NULL DEFAULT 7; CREATE TABLE added (id INT PRIMARY KEY, s VARCHAR(20)); INSERT INTO added VALUES (1, 'x');", A);
        await Source.ExecuteAsync("CREATE TABLE b_added (id INT PRIMARY KEY); INSERT INTO b_added VALUES (1), (2);", B);
        // The next writes go to a second binary log, so the replay crosses from one log to the next.
        await History.ArchiveAsync("pitr-archive-1");
        await Source.ExecuteAsync($"INSERT INTO {A}.items (v, extra) VALUES ('second log', 8); INSERT INTO {B}.t VALUES (101, 'b second log');");
        await Source.ExecuteAsync("ALTER TABLE added ADD COLUMN s2 VARCHAR(10) NULL", A);

        // Begun before T, committed after it: absent from a restore to T.
        await using var late = new MySqlConnection(Source.ConnectionString(A));
        await late.OpenAsync();
        await using (var begin = new MySqlCommand("START TRANSACTION; INSERT INTO items (v) VALUES ('committed-after-T'); UPDATE notes SET msg = 'late' WHERE id = 1;", late))
        {
            await begin.ExecuteNonQueryAsync();
        }

        AtT = new Dictionary<string, string> { [A] = await Fingerprint.OfAsync(Source, A), [B] = await Fingerprint.OfAsync(Source, B) };
        T = PointInTimeRestore.Seconds(DateTimeOffset.UtcNow);
        await WaitUntilAsync(T.AddSeconds(1.3));

        await using (var commit = new MySqlCommand("COMMIT", late))
        {
            await commit.ExecuteNonQueryAsync();
        }
        await Source.ExecuteAsync($"INSERT INTO {A}.items (v) VALUES ('after-T'); UPDATE {B}.t SET v = 'b after T' WHERE id = 5; INSERT INTO {B}.t VALUES (102, 'b after T');");
        // The mistake a point-in-time restore undoes.
        await Source.ExecuteAsync("DROP TABLE notes", A);
        await History.ArchiveAsync("pitr-archive-2");
        Latest = new Dictionary<string, string> { [A] = await Fingerprint.OfAsync(Source, A), [B] = await Fingerprint.OfAsync(Source, B) };
        AfterLastArchive = PointInTimeRestore.Seconds(DateTimeOffset.UtcNow).AddSeconds(2);

        // A second configuration whose archive misses one log: a gap between the log of its dump and the next one stored.
        await Source.ExecuteAsync($"CREATE DATABASE {C}; CREATE TABLE {C}.t (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO {C}.t VALUES (1, 'c');");
        GapHistory = new BinlogHistory(Source, await BinlogHistory.NewRepositoryAsync(), Namespace, "pitr-gap");
        await GapHistory.BackUpAsync("gap-full-1", C);
        await Source.ExecuteAsync($"INSERT INTO {C}.t VALUES (2, 'c2')");
        await GapHistory.ArchiveAsync("gap-archive-1");
        await Task.Delay(2100);
        InGap = PointInTimeRestore.Seconds(DateTimeOffset.UtcNow);
        await Source.ExecuteAsync($"INSERT INTO {C}.t VALUES (3, 'c3 in the lost log')");
        await Task.Delay(2100);
        var lost = (await Source.QueryAsync("SHOW MASTER STATUS"))[0][0]!;
        await GapHistory.ArchiveAsync("gap-archive-2", leaveOut: f => f == lost);
        await Source.ExecuteAsync($"INSERT INTO {C}.t VALUES (4, 'c4')");
        await GapHistory.ArchiveAsync("gap-archive-3");
    }

    private static async Task WaitUntilAsync(DateTimeOffset time)
    {
        var wait = time - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }
    }

    /// <summary>Settings of a point-in-time restore of <paramref name="history"/> into <paramref name="server"/>.</summary>
    public static RunnerSettings Settings(string session, MariaDbServer server, BinlogHistory history, RestoreSettings restore) => new()
    {
        Session = new() { Namespace = history.Namespace, Name = session, Configuration = history.Configuration },
        Database = new()
        {
            Host = server.Host, Port = server.Port, User = MariaDbServer.User, Password = MariaDbServer.Password, WaitTimeout = TimeSpan.FromSeconds(20),
        },
        Repository = new() { Backend = RepositoryBackend.Local, Path = history.Repository, Password = RunnerFixture.RepositoryPassword },
        Reporting = new() { ProgressInterval = TimeSpan.FromSeconds(1) },
        Restore = restore,
    };

    public async Task DisposeAsync()
    {
        foreach (var server in new IAsyncDisposable?[] { Source, Target })
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }
    }
}

/// <summary>What a database holds, to compare two states: each table's definition (without its AUTO_INCREMENT counter) and CHECKSUM TABLE.</summary>
public static class Fingerprint
{
    public static async Task<string> OfAsync(MariaDbServer server, string database)
    {
        var tables = (await server.QueryAsync($"SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{MariaDbServer.Escape(database)}' ORDER BY TABLE_NAME"))
            .Select(r => r[0]!).ToList();
        var lines = new List<string>();
        foreach (var table in tables)
        {
            var quoted = $"`{database.Replace("`", "``")}`.`{table.Replace("`", "``")}`";
            var create = (await server.QueryAsync($"SHOW CREATE TABLE {quoted}"))[0][1]!;
            var checksum = (await server.QueryAsync($"CHECKSUM TABLE {quoted}"))[0][1];
            lines.Add(System.Text.RegularExpressions.Regex.Replace(create, @" AUTO_INCREMENT=\d+", "") + "\nchecksum " + checksum);
        }
        return string.Join("\n\n", lines);
    }

    /// <summary>The values of one column of a table, in order.</summary>
    public static async Task<IReadOnlyList<string?>> ColumnAsync(MariaDbServer server, string database, string table, string column) =>
        (await server.QueryAsync($"SELECT {column} FROM `{database}`.`{table}` ORDER BY 1")).Select(r => r[0]).ToList();
}
