using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Restore;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Runner.Tests.PointInTime;

/// <summary>RESTORE_POINT_IN_TIME against real MariaDB servers (one writing a binary log), real restic and mariadb-binlog.</summary>
[Collection(PointInTimeCollection.Name)]
public sealed class PointInTimeRestoreTests(PointInTimeScenario scenario)
{
    private const string A = PointInTimeScenario.A;
    private const string B = PointInTimeScenario.B;

    private static string Show(DateTimeOffset time) => PointInTimeRestore.Show(time);

    private static async Task<RunnerResult> RestoreAsync(string session, MariaDbServer server, BinlogHistory history, RestoreSettings restore, string? pathPrefix = null) =>
        await RunnerProcess.RunAsync("restore", PointInTimeScenario.Settings(session, server, history, restore), pathPrefix);

    private static SucceededEvent AssertSucceeded(RunnerResult result)
    {
        Assert.True(result.ExitCode == 0 && result.Succeeded is not null, result.ToString());
        return result.Succeeded;
    }

    private static FailedEvent AssertFailed(RunnerResult result, FailureReason reason)
    {
        Assert.True(result.Failed is not null, result.ToString());
        Assert.True(reason == result.Failed.Reason, result.ToString());
        Assert.Equal(ExitCodes.For(reason), result.ExitCode);
        return result.Failed;
    }

    private static async Task<bool> ExistsAsync(MariaDbServer server, string database) =>
        (await server.QueryAsync($"SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{MariaDbServer.Escape(database)}'")).Count > 0;

    [Fact]
    public async Task Both_databases_restored_to_T_into_a_fresh_server_hold_what_they_held_at_T()
    {
        var restore = await RestoreAsync("pitr-fresh", scenario.Target, scenario.History, new RestoreSettings { PointInTime = Show(scenario.T) });

        var succeeded = AssertSucceeded(restore);
        Assert.Equal(scenario.T, succeeded.PointInTime!.RestoredTo);
        Assert.Equal([A, B], succeeded.Databases.Select(d => d.Database));
        Assert.StartsWith(scenario.DumpIds[A], succeeded.Databases[0].SnapshotId);
        Assert.StartsWith(scenario.DumpIds[B], succeeded.Databases[1].SnapshotId);
        Assert.Equal(scenario.AtT[A], await Fingerprint.OfAsync(scenario.Target, A));
        Assert.Equal(scenario.AtT[B], await Fingerprint.OfAsync(scenario.Target, B));
        var values = await Fingerprint.ColumnAsync(scenario.Target, A, "items", "v");
        Assert.Contains("committed-before-T", values);
        Assert.Contains("second log", values);
        Assert.DoesNotContain("committed-after-T", values);
        Assert.DoesNotContain("after-T", values);
        // The DDL between the dump and T was replayed; the table dropped after T is there.
        Assert.Contains("extra", (await scenario.Target.QueryAsync($"SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '{A}' AND TABLE_NAME = 'items'")).Select(r => r[0]));
        Assert.Equal(["1"], await Fingerprint.ColumnAsync(scenario.Target, A, "added", "id"));
        Assert.Equal(["after the dump", "in a transaction", "one", "three", "two"], await Fingerprint.ColumnAsync(scenario.Target, A, "notes", "msg"));
        // Bytes: the dump and the binary logs replayed.
        Assert.True(succeeded.Databases[0].Bytes > scenario.DumpBytes[A], $"{succeeded.Databases[0].Bytes} bytes restored, the dump alone has {scenario.DumpBytes[A]}");
        Assert.True(succeeded.Databases[1].Bytes > scenario.DumpBytes[B]);
    }

    [Fact]
    public async Task Each_database_restored_to_T_under_a_new_name_on_the_same_server_gets_only_its_own_changes()
    {
        var liveA = await Fingerprint.OfAsync(scenario.Source, A);
        var liveB = await Fingerprint.OfAsync(scenario.Source, B);

        foreach (var (source, target) in new[] { (A, "pitr_a_at_t"), (B, "pitr_b_at_t_☃") })
        {
            var restore = await RestoreAsync("pitr-rename-" + source[^1], scenario.Source, scenario.History, new RestoreSettings
            {
                PointInTime = Show(scenario.T), Databases = [source], Rename = new Dictionary<string, string> { [source] = target },
            });

            var succeeded = AssertSucceeded(restore);
            Assert.Equal(target, Assert.Single(succeeded.Databases).RestoredInto);
            Assert.Equal(scenario.AtT[source], await Fingerprint.OfAsync(scenario.Source, target));
        }
        // The live databases were not touched by the replay of their own or the other's events.
        Assert.Equal(liveA, await Fingerprint.OfAsync(scenario.Source, A));
        Assert.Equal(liveB, await Fingerprint.OfAsync(scenario.Source, B));
    }

    [Fact]
    public async Task Latest_restores_the_state_after_the_last_archived_write()
    {
        var restore = await RestoreAsync("pitr-latest", scenario.Target, scenario.History, new RestoreSettings
        {
            PointInTime = "latest", Rename = new Dictionary<string, string> { [A] = "pitr_a_latest", [B] = "pitr_b_latest" },
        });

        var succeeded = AssertSucceeded(restore);
        Assert.Equal(succeeded.PointInTime!.Latest is { } latest ? PointInTimeRestore.Seconds(latest) : null, succeeded.PointInTime.RestoredTo);
        Assert.Equal(scenario.Latest[A], await Fingerprint.OfAsync(scenario.Target, "pitr_a_latest"));
        Assert.Equal(scenario.Latest[B], await Fingerprint.OfAsync(scenario.Target, "pitr_b_latest"));
        Assert.Contains("committed-after-T", await Fingerprint.ColumnAsync(scenario.Target, "pitr_a_latest", "items", "v"));
        Assert.False((await scenario.Target.QueryAsync("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'pitr_a_latest' AND TABLE_NAME = 'notes'")).Count > 0);
    }

    [Fact]
    public async Task A_time_that_cannot_be_reached_is_refused_with_the_window_before_anything_is_written()
    {
        var cases = new (string Time, string[]? Databases, string Expected)[]
        {
            (Show(scenario.BeforeFirstDump.AddMinutes(-10)), null, "is before the first full backup of 'pitr_a' with a recorded position"),
            (Show(DateTimeOffset.UtcNow.AddHours(1)), null, "is in the future"),
            (Show(scenario.AfterLastArchive), null, "is after the last archived event 'pitr_a' can be rolled forward to"),
            (Show(scenario.T), [PointInTimeScenario.Plain], "'pitr_plain' has no full backup with a recorded binary-log position in the configuration 'pitr' of namespace 'tests' ('pitr_plain' only backups taken without BINLOG_RECORD_POSITION)"),
            (Show(scenario.T), ["no_such_db"], "'no_such_db' has no full backup with a recorded binary-log position"),
        };
        await Task.Delay(TimeSpan.FromSeconds(1));
        foreach (var (time, databases, expected) in cases)
        {
            var restore = await RestoreAsync("pitr-refused", scenario.Target, scenario.History, new RestoreSettings
            {
                PointInTime = time, Databases = databases ?? [],
                Rename = databases is null ? new Dictionary<string, string> { [A] = "pitr_a_refused", [B] = "pitr_b_refused" } : new Dictionary<string, string>(),
            });

            var failed = AssertFailed(restore, FailureReason.PointInTimeNotRecoverable);
            Assert.Contains(expected, failed.Message);
            Assert.Contains("recoverable window: ", failed.Message);
            Assert.EndsWith("; nothing was written", failed.Message);
            Assert.NotEmpty(failed.PointInTime!.Windows);
            Assert.False(await ExistsAsync(scenario.Target, "pitr_a_refused"));
            Assert.False(await ExistsAsync(scenario.Target, "pitr_b_refused"));
            Assert.False(await ExistsAsync(scenario.Target, PointInTimeScenario.Plain));
        }
    }

    [Fact]
    public async Task A_time_inside_a_gap_of_missing_binary_logs_is_refused_naming_the_gap()
    {
        var restore = await RestoreAsync("pitr-gap", scenario.Target, scenario.GapHistory, new RestoreSettings { PointInTime = Show(scenario.InGap) });

        var failed = AssertFailed(restore, FailureReason.PointInTimeNotRecoverable);
        Assert.Contains($"RESTORE_POINT_IN_TIME {Show(scenario.InGap)} cannot be restored to: it falls inside a gap in the binary logs of 'pitr_c': binary logs mysql-bin.", failed.Message);
        Assert.Contains("are missing from the repository", failed.Message);
        Assert.Contains("recoverable window: ", failed.Message);
        Assert.Single(failed.PointInTime!.Gaps);
        Assert.False(await ExistsAsync(scenario.Target, PointInTimeScenario.C));
    }

    [Fact]
    public async Task A_target_that_holds_tables_is_refused_as_in_any_restore()
    {
        await scenario.Target.ExecuteAsync("CREATE DATABASE IF NOT EXISTS pitr_taken; CREATE TABLE IF NOT EXISTS pitr_taken.mine (id INT PRIMARY KEY); REPLACE INTO pitr_taken.mine VALUES (42)");

        var restore = await RestoreAsync("pitr-taken", scenario.Target, scenario.History, new RestoreSettings
        {
            PointInTime = Show(scenario.T), Rename = new Dictionary<string, string> { [A] = "pitr_a_new_target", [B] = "pitr_taken" },
        });

        var failed = AssertFailed(restore, FailureReason.TargetNotEmpty);
        Assert.Contains("'pitr_taken' (the target of 'pitr_b') holds 1 table ('mine')", failed.Message);
        Assert.False(await ExistsAsync(scenario.Target, "pitr_a_new_target"));
        Assert.Equal(["42"], await Fingerprint.ColumnAsync(scenario.Target, "pitr_taken", "mine", "id"));
    }

    [Fact]
    public async Task Over_a_database_that_holds_a_table_created_after_the_dump_the_replay_fails_naming_it()
    {
        RestoreSettings Into(bool overwrite) => new()
        {
            PointInTime = Show(scenario.T), Databases = [B], Rename = new Dictionary<string, string> { [B] = "pitr_b_again" }, Overwrite = overwrite,
        };
        AssertSucceeded(await RestoreAsync("pitr-again-1", scenario.Target, scenario.History, Into(false)));

        // The dump replaces the tables it carries; b_added (created after the dump) stays, and its CREATE TABLE cannot be replayed.
        var failed = AssertFailed(await RestoreAsync("pitr-again-2", scenario.Target, scenario.History, Into(true)), FailureReason.RestoreFailed);

        Assert.Contains("ERROR 1050 (42S01)", failed.Message);
        Assert.Contains("'b_added' already exists", failed.Message);
        Assert.Contains("'pitr_b_again' is partly restored", failed.Message);
    }

    [Fact]
    public async Task A_failing_binlog_tool_fails_the_restore_naming_the_log_and_its_error()
    {
        var bin = TestEnvironment.TempFolder("fake-binlog");
        var fake = Path.Combine(bin, "mariadb-binlog");
        await File.WriteAllTextAsync(fake, "#!/bin/sh\ncat > /dev/null\necho 'ERROR: Could not read entry at offset 1234: Error in log format or read error.' >&2\nexit 1\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var restore = await RestoreAsync("pitr-tool", scenario.Target, scenario.History, new RestoreSettings
        {
            PointInTime = Show(scenario.T), Databases = [A], Rename = new Dictionary<string, string> { [A] = "pitr_a_tool" },
        }, pathPrefix: bin);

        var failed = AssertFailed(restore, FailureReason.RestoreFailed);
        Assert.Matches(@"^mariadb-binlog exited 1 while replaying binary log mysql-bin\.0+1 \(snapshot [0-9a-f]{8}\) into 'pitr_a_tool': ERROR: Could not read entry at offset 1234", failed.Message);
        Assert.Contains("'pitr_a_tool' is partly restored (its dump was restored and no binary log was replayed completely", failed.Message);
        Assert.Equal(A, failed.Database);
    }

    [Fact]
    public async Task A_client_that_fails_while_the_tool_still_writes_ends_the_replay_naming_the_log_and_the_clients_error()
    {
        var bin = TestEnvironment.TempFolder("fake-binlog");
        var fake = Path.Combine(bin, "mariadb-binlog");
        // Far more output than a pipe holds, after a statement the client refuses.
        await File.WriteAllTextAsync(fake, "#!/bin/sh\ncat > /dev/null\necho 'THIS IS NOT SQL;'\nyes -- '-- filler' | head -c 50000000\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var restore = await RestoreAsync("pitr-client", scenario.Target, scenario.History, new RestoreSettings
        {
            PointInTime = Show(scenario.T), Databases = [A], Rename = new Dictionary<string, string> { [A] = "pitr_a_client" },
        }, pathPrefix: bin);

        var failed = AssertFailed(restore, FailureReason.RestoreFailed);
        Assert.Matches(@"^mariadb exited 1 while replaying binary log mysql-bin\.0+1 \(snapshot [0-9a-f]{8}\) into 'pitr_a_client': .*ERROR 1064", failed.Message);
        Assert.Contains("'pitr_a_client' is partly restored", failed.Message);
    }

    [Theory]
    [InlineData("pitr a copy")]
    [InlineData("pitr_a\tcopy")]
    [InlineData("pitr_a->x")]
    public async Task A_new_name_that_mariadb_binlog_would_cut_is_refused_before_anything_is_written(string target)
    {
        var restore = await RestoreAsync("pitr-cut", scenario.Target, scenario.History, new RestoreSettings
        {
            PointInTime = Show(scenario.T), Databases = [A], Rename = new Dictionary<string, string> { [A] = target },
        });

        var failed = AssertFailed(restore, FailureReason.InvalidSettings);
        Assert.Contains("which mariadb-binlog's --rewrite-db cannot carry", failed.Message);
        Assert.False(await ExistsAsync(scenario.Target, target));
        Assert.False(await ExistsAsync(scenario.Target, "pitr"));
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("2026-11-29 12:00:00")]
    [InlineData("2026-11-29T12:00:00")]
    [InlineData("2026-13-45T99:00:00Z")]
    [InlineData("LATEST")]
    public async Task A_malformed_time_is_invalid_settings_naming_the_variable(string time)
    {
        var restore = await RestoreAsync("pitr-bad", scenario.Target, scenario.History, new RestoreSettings { PointInTime = time });

        var failed = AssertFailed(restore, FailureReason.InvalidSettings);
        Assert.Contains($"RESTORE_POINT_IN_TIME='{time}' is not valid", failed.Message);
    }

    [Fact]
    public async Task A_time_together_with_snapshots_or_a_session_is_invalid_settings_naming_both()
    {
        foreach (var restore in new[]
        {
            new RestoreSettings { PointInTime = Show(scenario.T), Snapshots = ["latest"] },
            new RestoreSettings { PointInTime = "latest", FromSession = "pitr-full-1" },
        })
        {
            var failed = AssertFailed(await RestoreAsync("pitr-both", scenario.Target, scenario.History, restore), FailureReason.InvalidSettings);
            Assert.Contains("RESTORE_POINT_IN_TIME is set together with RESTORE_FROM_SESSION or RESTORE_SNAPSHOTS", failed.Message);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PointInTimeCollection : ICollectionFixture<PointInTimeScenario>
{
    public const string Name = "point-in-time";
}
