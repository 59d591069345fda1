using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Tests.Pipeline;
using Serverless.Backup.Testing;
using Xunit.Abstractions;

namespace Serverless.Backup.Runner.Tests.PointInTime;

/// <summary>A MariaDB server with binary logging (ROW, server id 1), for the point-in-time tests only.</summary>
public sealed class BinlogDatabase : IAsyncLifetime
{
    public MariaDbServer Server { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Server = await MariaDbServer.StartAsync(["--log-bin=mysql-bin", "--binlog-format=ROW", "--binlog-row-image=FULL", "--server-id=1"]);

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}

/// <summary>
/// Backups that record their binary-log position and the archive verb, against a real MariaDB with binary logging
/// and real restic: positions match the server, closed logs are stored once each with their tags and bytes, a
/// purged log is a gap in the reported window, a killed archive run leaves nothing that counts.
/// </summary>
[Collection(RunnerCollection.Name)]
public sealed class ArchiveTests(RunnerFixture fixture, BinlogDatabase binlog, ITestOutputHelper output) : IClassFixture<BinlogDatabase>
{
    private MariaDbServer Db => binlog.Server;

    private RunnerSettings Settings(string session, string repository, string configuration, params string[] databases)
    {
        var settings = fixture.Settings(session, repository, databases);
        return settings with
        {
            Session = settings.Session with { Configuration = configuration },
            Database = settings.Database with { Host = Db.Host, Port = Db.Port },
            PointInTime = new() { RecordPosition = true },
        };
    }

    private async Task<(string File, long Position)> MasterStatusAsync()
    {
        var row = (await Db.QueryAsync("SHOW MASTER STATUS"))[0];
        return (row[0]!, long.Parse(row[1]!, CultureInfo.InvariantCulture));
    }

    private async Task<IReadOnlyList<(string File, long Size)>> ServerLogsAsync() =>
        (await Db.QueryAsync("SHOW BINARY LOGS")).Select(r => (r[0]!, long.Parse(r[1]!, CultureInfo.InvariantCulture))).ToList();

    private static string? Tag(JsonElement snapshot, string key) =>
        snapshot.TryGetProperty("tags", out var tags)
            ? tags.EnumerateArray().Select(t => t.GetString()!).FirstOrDefault(t => t.StartsWith(key + "=", StringComparison.Ordinal))?[(key.Length + 1)..]
            : null;

    private static async Task<IReadOnlyList<JsonElement>> ArchivedAsync(string repository) =>
        (await ResticRepository.SnapshotsAsync(repository, RunnerFixture.RepositoryPassword)).Where(s => Tag(s, "kind") == "binlog").ToList();

    private static async Task<byte[]> ResticDumpAsync(string repository, string id, string path)
    {
        var bytes = new MemoryStream();
        var result = await Cli.Wrap("restic")
            .WithArguments(["dump", "--no-lock", id, path])
            .WithEnvironmentVariables(new Dictionary<string, string?> { ["RESTIC_REPOSITORY"] = repository, ["RESTIC_PASSWORD"] = RunnerFixture.RepositoryPassword })
            .WithStandardOutputPipe(PipeTarget.ToStream(bytes))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync();
        Assert.Equal(0, result.ExitCode);
        return bytes.ToArray();
    }

    [Fact]
    public async Task A_backup_records_the_position_of_its_dump_which_matches_the_server_and_restores_the_same_data()
    {
        await SampleDatabase.CreateAsync(Db, "pitr_pos");
        var repository = TestEnvironment.TempFolder("repo");
        var expected = await MasterStatusAsync();
        var gtid = (await Db.QueryAsync("SELECT @@gtid_binlog_pos"))[0][0];

        var backup = await RunnerProcess.RunAsync("backup", Settings("pos-1", repository, "cfg-pos", "pitr_pos"));

        Assert.True(backup.ExitCode == 0, backup.ToString());
        Assert.Equal(expected, await MasterStatusAsync());
        var snapshot = Assert.Single(await ResticRepository.SnapshotsAsync(repository, RunnerFixture.RepositoryPassword));
        Assert.Equal(expected.File, Tag(snapshot, "binlog-file"));
        Assert.Equal(expected.Position.ToString(CultureInfo.InvariantCulture), Tag(snapshot, "binlog-pos"));
        Assert.Equal("1", Tag(snapshot, "server-id"));
        Assert.Equal(gtid, Tag(snapshot, "gtid"));
        Assert.Equal("pitr_pos", Tag(snapshot, "db"));
        // The window after the run: the dump's own second (nothing archived yet).
        var window = Assert.Single(backup.Succeeded!.PointInTime!.Windows);
        Assert.Equal(window.Start, window.End);
        // The stream holds the whole dump, position comment included, and restores the same data.
        var sql = System.Text.Encoding.UTF8.GetString(await ResticDumpAsync(repository, snapshot.GetProperty("id").GetString()!, "/pitr_pos.sql"));
        Assert.Contains($"-- CHANGE MASTER TO MASTER_LOG_FILE='{expected.File}', MASTER_LOG_POS={expected.Position};", sql);
        Assert.Equal(backup.Succeeded.Databases[0].Bytes, System.Text.Encoding.UTF8.GetByteCount(sql));
        Assert.Equal(backup.Succeeded.Databases[0].Sha256, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(sql))));
        var restore = await RunnerProcess.RunAsync("restore", Settings("pos-restore", repository, "cfg-pos") with
        {
            Restore = new() { Rename = new Dictionary<string, string> { ["pitr_pos"] = "pitr_pos_copy" } },
        });
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(await SampleDatabase.FingerprintAsync(Db, "pitr_pos"), await SampleDatabase.FingerprintAsync(Db, "pitr_pos_copy"));
    }

    [Fact]
    public async Task Archive_stores_each_closed_log_once_with_its_tags_and_bytes_and_then_only_new_ones()
    {
        await SampleDatabase.CreateAsync(Db, "pitr_arch");
        var repository = TestEnvironment.TempFolder("repo");
        var backup = await RunnerProcess.RunAsync("backup", Settings("arch-backup", repository, "cfg-arch", "pitr_arch"));
        Assert.True(backup.ExitCode == 0, backup.ToString());
        var dumpFile = (await MasterStatusAsync()).File;
        await Db.ExecuteAsync("INSERT INTO customers (name) VALUES ('after the dump 1'), ('after the dump 2')", "pitr_arch");

        var first = await RunnerProcess.RunAsync("archive", Settings("arch-1", repository, "cfg-arch"));

        Assert.True(first.ExitCode == 0, first.ToString());
        var onServer = await ServerLogsAsync();
        var closed = onServer.Take(onServer.Count - 1).Where(l => string.CompareOrdinal(l.File, dumpFile) >= 0).ToList();
        var archived = await ArchivedAsync(repository);
        Assert.Equal(closed.Select(l => l.File), archived.Select(s => Tag(s, "binlog")!).Order(StringComparer.Ordinal));
        Assert.Equal(closed.Count, first.Succeeded!.PointInTime!.ArchivedFiles);
        Assert.Equal(closed.Sum(l => l.Size), first.Succeeded.PointInTime.ArchivedBytes);
        foreach (var snapshot in archived)
        {
            var file = Tag(snapshot, "binlog")!;
            Assert.Equal(closed.Single(l => l.File == file).Size.ToString(CultureInfo.InvariantCulture), Tag(snapshot, "binlog-size"));
            Assert.Equal(("1", "cfg-arch", "arch-1"), (Tag(snapshot, "server-id"), Tag(snapshot, "config"), Tag(snapshot, "session")));
            Assert.Null(Tag(snapshot, "db"));
            Assert.Equal($"/binlog/{file}", snapshot.GetProperty("paths")[0].GetString());
            var bytes = await ResticDumpAsync(repository, snapshot.GetProperty("id").GetString()!, $"/binlog/{file}");
            Assert.Equal(closed.Single(l => l.File == file).Size, bytes.Length);
            Assert.Equal([0xFE, (byte)'b', (byte)'i', (byte)'n'], bytes[..4]);
            Assert.True(long.Parse(Tag(snapshot, "binlog-first")!, CultureInfo.InvariantCulture) <= long.Parse(Tag(snapshot, "binlog-last")!, CultureInfo.InvariantCulture));
        }
        // The window reaches from the dump to the last archived event, which holds the inserts after it.
        var report = first.Succeeded.PointInTime;
        var window = Assert.Single(report.Windows);
        Assert.True(window.End >= window.Start);
        Assert.Equal(closed[^1].File, report.LastArchivedFile);
        Assert.Empty(report.Gaps);
        // The archive's repository report counts the logs but lists only dumps; a restore of 'latest' ignores them.
        Assert.Equal(1 + closed.Count, first.Succeeded.Repository!.SnapshotCount);
        Assert.All(first.Succeeded.Repository.RecentSnapshots, s => Assert.Equal("pitr_arch", s.Database));

        // Right after: the flush closes one more log, empty of data but closed; a third run with nothing new in between too.
        var second = await RunnerProcess.RunAsync("archive", Settings("arch-2", repository, "cfg-arch"));
        Assert.True(second.ExitCode == 0, second.ToString());
        var afterSecond = await ArchivedAsync(repository);
        Assert.Equal(closed.Count + second.Succeeded!.PointInTime!.ArchivedFiles, afterSecond.Count);
        Assert.Equal(afterSecond.Count, afterSecond.Select(s => Tag(s, "binlog")).Distinct().Count());

        await Db.ExecuteAsync("INSERT INTO customers (name) VALUES ('later')", "pitr_arch");
        var third = await RunnerProcess.RunAsync("archive", Settings("arch-3", repository, "cfg-arch"));
        Assert.True(third.ExitCode == 0, third.ToString());
        Assert.Equal(1, third.Succeeded!.PointInTime!.ArchivedFiles);
        var all = await ArchivedAsync(repository);
        Assert.Equal(afterSecond.Count + 1, all.Count);
        Assert.Equal(all.Count, all.Select(s => Tag(s, "binlog")).Distinct().Count());
        var logs = await ServerLogsAsync();
        Assert.Equal(logs[^2].File, third.Succeeded.PointInTime.LastArchivedFile);

        var restore = await RunnerProcess.RunAsync("restore", Settings("arch-restore", repository, "cfg-arch") with
        {
            Restore = new() { Rename = new Dictionary<string, string> { ["pitr_arch"] = "pitr_arch_copy" } },
        });
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(["pitr_arch"], restore.Succeeded!.Databases.Select(d => d.Database));
    }

    [Fact]
    public async Task A_log_purged_before_it_was_archived_is_a_gap_that_splits_the_window_and_the_run_still_succeeds()
    {
        await SampleDatabase.CreateAsync(Db, "pitr_gap");
        var repository = TestEnvironment.TempFolder("repo");
        var first = await RunnerProcess.RunAsync("backup", Settings("gap-backup-1", repository, "cfg-gap", "pitr_gap"));
        Assert.True(first.ExitCode == 0, first.ToString());
        var archived = await RunnerProcess.RunAsync("archive", Settings("gap-archive-1", repository, "cfg-gap"));
        Assert.True(archived.ExitCode == 0, archived.ToString());

        // Two logs written and closed, then purged from the server before any archive run saw them.
        await Task.Delay(TimeSpan.FromSeconds(2));
        await Db.ExecuteAsync("INSERT INTO customers (name) VALUES ('lost 1'); FLUSH BINARY LOGS; INSERT INTO customers (name) VALUES ('lost 2'); FLUSH BINARY LOGS;", "pitr_gap");
        var purgedTo = (await MasterStatusAsync()).File;
        // MariaDB keeps a log until InnoDB has made its transactions durable (its binlog checkpoint): retry.
        var purging = Stopwatch.StartNew();
        while ((await ServerLogsAsync())[0].File != purgedTo)
        {
            Assert.True(purging.Elapsed < TimeSpan.FromSeconds(60), "the server did not purge its logs: " + string.Join(", ", await ServerLogsAsync()));
            await Db.ExecuteAsync($"PURGE BINARY LOGS TO '{purgedTo}'");
            await Task.Delay(500);
        }
        await Task.Delay(TimeSpan.FromSeconds(2));
        var second = await RunnerProcess.RunAsync("backup", Settings("gap-backup-2", repository, "cfg-gap", "pitr_gap"));
        Assert.True(second.ExitCode == 0, second.ToString());
        await Db.ExecuteAsync("INSERT INTO customers (name) VALUES ('kept')", "pitr_gap");

        var after = await RunnerProcess.RunAsync("archive", Settings("gap-archive-2", repository, "cfg-gap"));

        Assert.True(after.ExitCode == 0, after.ToString());
        var report = after.Succeeded!.PointInTime!;
        output.WriteLine(JsonSerializer.Serialize(report));
        output.WriteLine(after.Stderr);
        var gap = Assert.Single(report.Gaps);
        Assert.Contains(gap.FirstMissingFile, after.Succeeded.Warning);
        Assert.Equal(2, report.Windows.Count);
        Assert.True(report.Windows[0].End < gap.To && gap.From < report.Windows[1].Start, JsonSerializer.Serialize(report));
        Assert.Equal(report.Windows[0].Start, report.Earliest);
        Assert.Equal(report.Windows[1].End, report.Latest);
        // A backup reports the same window from its own listing.
        var third = await RunnerProcess.RunAsync("backup", Settings("gap-backup-3", repository, "cfg-gap", "pitr_gap"));
        Assert.True(third.ExitCode == 0, third.ToString());
        Assert.Single(third.Succeeded!.PointInTime!.Gaps);
        Assert.Contains(gap.FirstMissingFile, third.Succeeded.Warning);
    }

    [Fact]
    public async Task Without_binary_logging_archive_and_a_positioned_backup_fail_naming_log_bin_and_store_nothing()
    {
        await SampleDatabase.CreateAsync(fixture.Database, "pitr_nolog");
        var repository = TestEnvironment.TempFolder("repo");
        var settings = fixture.Settings("nolog-archive", repository) with { PointInTime = new() { RecordPosition = true } };

        var archive = await RunnerProcess.RunAsync("archive", settings);
        var backup = await RunnerProcess.RunAsync("backup", fixture.Settings("nolog-backup", repository, "pitr_nolog") with { PointInTime = new() { RecordPosition = true } });

        foreach (var run in new[] { archive, backup })
        {
            Assert.Equal(18, run.ExitCode);
            Assert.Equal(FailureReason.BinaryLogUnavailable, run.Failed!.Reason);
            Assert.Contains("log_bin", run.Failed.Message);
        }
        Assert.Empty(Directory.Exists(Path.Combine(repository, "snapshots")) ? Directory.GetFiles(Path.Combine(repository, "snapshots")) : []);
        // Without the setting nothing changes.
        var plain = await RunnerProcess.RunAsync("backup", fixture.Settings("nolog-plain", repository, "pitr_nolog"));
        Assert.True(plain.ExitCode == 0, plain.ToString());
        Assert.Null(plain.Succeeded!.PointInTime);
    }

    [Fact]
    public async Task A_user_without_the_replication_privileges_is_refused_with_the_grant_to_run()
    {
        await SampleDatabase.CreateAsync(Db, "pitr_priv");
        await Db.ExecuteAsync("DROP USER IF EXISTS 'pitr_low'@'%'; CREATE USER 'pitr_low'@'%' IDENTIFIED BY 'low-pw'; GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON `pitr_priv`.* TO 'pitr_low'@'%'; GRANT SELECT ON `mysql`.`proc` TO 'pitr_low'@'%';");
        var repository = TestEnvironment.TempFolder("repo");
        RunnerSettings Low(string session, params string[] databases)
        {
            var settings = Settings(session, repository, "cfg-priv", databases);
            return settings with { Database = settings.Database with { User = "pitr_low", Password = "low-pw" } };
        }

        var archive = await RunnerProcess.RunAsync("archive", Low("priv-archive"));
        var backup = await RunnerProcess.RunAsync("backup", Low("priv-backup", "pitr_priv"));

        Assert.Equal(16, archive.ExitCode);
        Assert.Contains("GRANT RELOAD, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'pitr_low'@'%'", archive.Failed!.Message);
        Assert.Equal(16, backup.ExitCode);
        Assert.Contains("GRANT RELOAD, BINLOG MONITOR ON *.* TO 'pitr_low'@'%'", backup.Failed!.Message);

        // With them, both work.
        await Db.ExecuteAsync("GRANT RELOAD, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'pitr_low'@'%'");
        var granted = await RunnerProcess.RunAsync("backup", Low("priv-backup-2", "pitr_priv"));
        Assert.True(granted.ExitCode == 0, granted.ToString());
        var archived = await RunnerProcess.RunAsync("archive", Low("priv-archive-2"));
        Assert.True(archived.ExitCode == 0, archived.ToString());

        // A point-in-time restore by a user who may not apply row events is refused before anything is written.
        await Db.ExecuteAsync("GRANT ALL ON `pitr_priv_pit`.* TO 'pitr_low'@'%'");
        var restore = Low("priv-restore");
        restore = restore with { Restore = new() { PointInTime = "latest", Rename = new Dictionary<string, string> { ["pitr_priv"] = "pitr_priv_pit" } } };
        var refused = await RunnerProcess.RunAsync("restore", restore);

        Assert.True(refused.ExitCode == 16, refused.ToString());
        Assert.Contains("GRANT BINLOG REPLAY ON *.* TO 'pitr_low'@'%'", refused.Failed!.Message);
        Assert.Empty(await Db.QueryAsync("SHOW DATABASES LIKE 'pitr\\_priv\\_pit'"));
    }

    [Fact]
    public async Task An_archive_run_SIGKILLed_while_restic_stores_a_log_leaves_nothing_that_counts_and_the_next_run_completes_the_sequence()
    {
        await SampleDatabase.CreateAsync(Db, "pitr_kill");
        var repository = TestEnvironment.TempFolder("repo");
        var backup = await RunnerProcess.RunAsync("backup", Settings("kill-backup", repository, "cfg-kill", "pitr_kill"));
        Assert.True(backup.ExitCode == 0, backup.ToString());
        // Several closed logs with some data each, so the run stores one after the other.
        for (var i = 0; i < 6; i++)
        {
            await Db.ExecuteAsync($"INSERT INTO customers (name, note) SELECT CONCAT('bulk {i} ', seq), REPEAT('x', 2000) FROM seq_1_to_2000; FLUSH BINARY LOGS;", "pitr_kill");
        }

        await using (var runner = RunnerProcess.Start("archive", EnvContract.ToEnvironment(Settings("kill-archive-1", repository, "cfg-kill"))))
        {
            var clock = Stopwatch.StartNew();
            var killed = false;
            while (clock.Elapsed < TimeSpan.FromSeconds(60) && !killed)
            {
                // The second log's restic (the first may already be confirmed).
                if (ProcessTree.Of(runner.Pid).Skip(1).Any(p => ProcessTree.CommandLine(p).Contains("restic backup", StringComparison.Ordinal)
                        && ProcessTree.CommandLine(p).Contains("binlog/", StringComparison.Ordinal))
                    && runner.StderrSoFar.Contains("archived binary log", StringComparison.Ordinal))
                {
                    runner.Signal(9);
                    killed = true;
                }
                await Task.Delay(20);
            }
            Assert.True(killed, "the archive run never stored a second log: " + runner.StderrSoFar);
            await runner.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }
        var pendingFolder = Path.Combine(repository, "backup-runner", "pending");
        var records = Directory.Exists(pendingFolder) ? Directory.GetFiles(pendingFolder) : [];
        var stranded = Assert.Single(records);
        var file = JsonDocument.Parse(await File.ReadAllTextAsync(stranded)).RootElement.GetProperty("binlog").GetString()!;
        output.WriteLine($"killed while storing {file}");

        var next = await RunnerProcess.RunAsync("archive", Settings("kill-archive-2", repository, "cfg-kill"));

        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Empty(Directory.GetFiles(pendingFolder));
        var onServer = await ServerLogsAsync();
        var dumpFile = Tag(Assert.Single(await ResticRepository.SnapshotsAsync(repository, RunnerFixture.RepositoryPassword), s => Tag(s, "db") is not null), "binlog-file")!;
        var expected = onServer.Take(onServer.Count - 1).Select(l => l.File).Where(f => string.CompareOrdinal(f, dumpFile) >= 0).ToList();
        var archived = await ArchivedAsync(repository);
        Assert.Equal(expected, archived.Select(s => Tag(s, "binlog")!).Order(StringComparer.Ordinal));
        Assert.Contains(file, archived.Select(s => Tag(s, "binlog")));
        Assert.Empty(next.Succeeded!.PointInTime!.Gaps);
        Assert.Single(next.Succeeded.PointInTime.Windows);
    }

    private static string FakeDump(string body)
    {
        var bin = TestEnvironment.TempFolder("bin");
        var script = Path.Combine(bin, "mariadb-dump");
        File.WriteAllText(script, "#!/bin/bash\n" + body + "\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return bin;
    }

    [Theory]
    [InlineData("cut", FailureReason.DumpTruncated, "completion trailer")]
    [InlineData("no-position", FailureReason.DumpFailed, "did not state its binary-log position")]
    [InlineData("fails", FailureReason.DumpFailed, "exited 2")]
    [InlineData("huge-head", FailureReason.DumpFailed, "did not state its binary-log position")]
    public async Task A_positioned_dump_that_is_cut_fails_or_states_no_position_keeps_nothing(string how, FailureReason reason, string words)
    {
        await SampleDatabase.CreateAsync(Db, "pitr_bad", extraRows: 20000);
        var repository = TestEnvironment.TempFolder("repo");
        var bin = FakeDump(how switch
        {
            "cut" => "/usr/bin/mariadb-dump \"$@\" | head -c 300000",
            "no-position" => "/usr/bin/mariadb-dump \"$@\" | grep -v 'CHANGE MASTER TO MASTER_LOG_FILE'",
            "fails" => "echo 'mariadb-dump: Got error: 1045' >&2; exit 2",
            _ => "head -c 3000000 /dev/zero | tr '\\0' '-'; /usr/bin/mariadb-dump \"$@\"",
        });

        var result = await RunnerProcess.RunAsync("backup", Settings("bad-" + how, repository, "cfg-bad", "pitr_bad"), pathPrefix: bin);

        Assert.True(result.Failed?.Reason == reason, result.ToString());
        Assert.Contains(words, result.Failed!.Message);
        Assert.Empty(await ResticRepository.SnapshotsAsync(repository, RunnerFixture.RepositoryPassword));
        Assert.Empty(Directory.GetFiles(Path.Combine(repository, "backup-runner", "pending")));
        Assert.Empty(await ResticRepository.LocksAsync(repository, RunnerFixture.RepositoryPassword));
    }

    [Fact]
    public async Task SIGTERM_during_a_positioned_backup_keeps_nothing_and_the_next_one_works()
    {
        await SampleDatabase.CreateAsync(Db, "pitr_term", extraRows: 20000);
        var repository = TestEnvironment.TempFolder("repo");
        await using (var runner = RunnerProcess.Start("backup", EnvContract.ToEnvironment(Settings("term-1", repository, "cfg-term", "pitr_term")), SignalAndSecretTests.SlowDumpFolder()))
        {
            await runner.WaitForEventAsync(e => e is ProgressEvent { BytesDone: >= 200000 }, TimeSpan.FromSeconds(60));
            runner.Signal(15);
            var result = await runner.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(143, result.ExitCode);
        }
        Assert.Empty(await ResticRepository.SnapshotsAsync(repository, RunnerFixture.RepositoryPassword));
        Assert.Empty(await ResticRepository.LocksAsync(repository, RunnerFixture.RepositoryPassword));
        var next = await RunnerProcess.RunAsync("backup", Settings("term-2", repository, "cfg-term", "pitr_term"));
        Assert.True(next.ExitCode == 0, next.ToString());
    }

    [Fact]
    public async Task Archive_into_Azure_blob_storage_stores_each_log_once()
    {
        await SampleDatabase.CreateAsync(Db, "pitr_azure");
        var repository = fixture.Repository("azure", "pitr-azure");
        RunnerSettings On(string session, params string[] databases) => Settings(session, "unused", "cfg-azure", databases) with { Repository = repository };
        var backup = await RunnerProcess.RunAsync("backup", On("azure-backup", "pitr_azure"));
        Assert.True(backup.ExitCode == 0, backup.ToString());
        await Db.ExecuteAsync("INSERT INTO customers (name) VALUES ('to azure')", "pitr_azure");

        var first = await RunnerProcess.RunAsync("archive", On("azure-archive-1"));
        var second = await RunnerProcess.RunAsync("archive", On("azure-archive-2"));

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.True(second.ExitCode == 0, second.ToString());
        var stored = first.Succeeded!.PointInTime!.ArchivedFiles;
        Assert.True(stored >= 1);
        // The second run stores only the log its own flush closed; nothing is stored twice.
        Assert.Equal(1, second.Succeeded!.PointInTime!.ArchivedFiles);
        Assert.Equal(1 + stored + 1, second.Succeeded.Repository!.SnapshotCount);
        var window = Assert.Single(second.Succeeded.PointInTime.Windows);
        Assert.True(window.End >= first.Succeeded.PointInTime.Latest);
        Assert.Empty(second.Succeeded.PointInTime.Gaps);
    }

    [Fact]
    public async Task A_server_that_logs_statements_or_partial_rows_is_archived_with_a_warning_naming_the_setting()
    {
        var repository = TestEnvironment.TempFolder("repo");
        await Db.ExecuteAsync("SET GLOBAL binlog_format = 'MIXED'; SET GLOBAL binlog_row_image = 'MINIMAL'");
        try
        {
            var archive = await RunnerProcess.RunAsync("archive", Settings("format-archive", repository, "cfg-format"));

            Assert.True(archive.ExitCode == 0, archive.ToString());
            Assert.Contains("binlog_format is MIXED, not ROW", archive.Succeeded!.Warning);
            Assert.Contains("binlog_row_image is MINIMAL, not FULL", archive.Succeeded.Warning);
        }
        finally
        {
            await Db.ExecuteAsync("SET GLOBAL binlog_format = 'ROW'; SET GLOBAL binlog_row_image = 'FULL'");
        }
    }

    [Fact]
    public async Task A_log_purged_between_the_listing_and_its_copy_is_a_warning_then_a_gap_not_a_failed_run()
    {
        await SampleDatabase.CreateAsync(Db, "pitr_race");
        var repository = TestEnvironment.TempFolder("repo");
        var backup = await RunnerProcess.RunAsync("backup", Settings("race-backup", repository, "cfg-race", "pitr_race"));
        Assert.True(backup.ExitCode == 0, backup.ToString());
        await Db.ExecuteAsync("INSERT INTO customers (name) VALUES ('raced')", "pitr_race");
        // A copy tool that first purges every closed log (as expiry would, at the worst moment), then copies.
        var bin = TestEnvironment.TempFolder("bin");
        var script = Path.Combine(bin, "mariadb-binlog");
        File.WriteAllText(script, """
            #!/bin/bash
            file="${@: -1}"
            for i in $(seq 1 120); do
              active=$(mariadb "$1" -N -e "SHOW MASTER STATUS" | cut -f1)
              mariadb "$1" -N -e "PURGE BINARY LOGS TO '$active'" 2>/dev/null
              mariadb "$1" -N -e "SHOW BINARY LOGS" | cut -f1 | grep -qx "$file" || break
              sleep 0.25
            done
            exec /usr/bin/mariadb-binlog "$@"

            """);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var raced = await RunnerProcess.RunAsync("archive", Settings("race-archive-1", repository, "cfg-race"), pathPrefix: bin);

        Assert.True(raced.ExitCode == 0, raced.ToString());
        Assert.Contains("was purged from the server while this run archived", raced.Succeeded!.Warning);
        Assert.Empty(Directory.GetFiles(Path.Combine(repository, "backup-runner", "pending")));
        var next = await RunnerProcess.RunAsync("archive", Settings("race-archive-2", repository, "cfg-race"));
        Assert.True(next.ExitCode == 0, next.ToString());
        var gap = Assert.Single(next.Succeeded!.PointInTime!.Gaps);
        Assert.Contains(gap.FirstMissingFile, next.Succeeded.Warning);
    }

    [Fact]
    public async Task BINLOG_MAX_FILES_PER_RUN_stores_the_oldest_logs_first_and_leaves_the_rest_to_the_next_run()
    {
        await SampleDatabase.CreateAsync(Db, "pitr_max");
        var repository = TestEnvironment.TempFolder("repo");
        var backup = await RunnerProcess.RunAsync("backup", Settings("max-backup", repository, "cfg-max", "pitr_max"));
        Assert.True(backup.ExitCode == 0, backup.ToString());
        var dumpFile = (await MasterStatusAsync()).File;
        for (var i = 0; i < 3; i++)
        {
            await Db.ExecuteAsync($"INSERT INTO customers (name) VALUES ('max {i}'); FLUSH BINARY LOGS;", "pitr_max");
        }
        var limited = Settings("max-archive-1", repository, "cfg-max") with { PointInTime = new() { MaxFilesPerRun = 2 } };

        var first = await RunnerProcess.RunAsync("archive", limited);

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(2, first.Succeeded!.PointInTime!.ArchivedFiles);
        Assert.Contains("wait for the next archive run (BINLOG_MAX_FILES_PER_RUN=2)", first.Succeeded.Warning);
        var onServer = await ServerLogsAsync();
        var closed = onServer.Take(onServer.Count - 1).Select(l => l.File).Where(f => string.CompareOrdinal(f, dumpFile) >= 0).ToList();
        Assert.Equal(closed.Take(2), (await ArchivedAsync(repository)).Select(s => Tag(s, "binlog")!).Order(StringComparer.Ordinal));

        var second = await RunnerProcess.RunAsync("archive", limited with { Session = limited.Session with { Name = "max-archive-2" } });
        var third = await RunnerProcess.RunAsync("archive", limited with { Session = limited.Session with { Name = "max-archive-3" } });

        Assert.True(third.ExitCode == 0, third.ToString());
        var archived = (await ArchivedAsync(repository)).Select(s => Tag(s, "binlog")!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(archived.Distinct(), archived);
        Assert.True(closed.All(archived.Contains), string.Join(", ", archived));
        Assert.Empty(third.Succeeded!.PointInTime!.Gaps);
    }
}
