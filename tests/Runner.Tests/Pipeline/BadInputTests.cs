using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Runner.Tests.Pipeline;

/// <summary>Every bad input ends in a failed event that names the setting and the fix, and leaves no snapshot behind.</summary>
[Collection(RunnerCollection.Name)]
public sealed class BadInputTests(RunnerFixture fixture)
{
    private MariaDbServer Db => fixture.Database;

    private static async Task AssertNoSnapshotAsync(string repository)
    {
        if (File.Exists(Path.Combine(repository, "config")))
        {
            Assert.Empty(await ResticRepository.SnapshotsAsync(repository, RunnerFixture.RepositoryPassword));
        }
    }

    private static FailedEvent AssertFailed(RunnerResult result, FailureReason reason)
    {
        Assert.True(result.Failed is not null, result.ToString());
        Assert.Equal(reason, result.Failed.Reason);
        Assert.Equal(ExitCodes.For(reason), result.ExitCode);
        Assert.Null(result.Succeeded);
        return result.Failed;
    }

    [Fact]
    public async Task A_wrong_database_password_says_the_credentials_were_refused()
    {
        var repository = TestEnvironment.TempFolder("repo");
        // The kubelet's termination message file, as a pod has it: the reason reaches the pod status from there.
        var terminationLog = Path.Combine(TestEnvironment.TempFolder("pod"), "termination-log");
        await File.WriteAllTextAsync(terminationLog, "");
        var settings = fixture.Settings("bad-pw", repository);
        settings = settings with
        {
            Database = settings.Database with { Password = "not-the-password" },
            Reporting = settings.Reporting with { TerminationMessagePath = terminationLog },
        };

        var failed = AssertFailed(await RunnerProcess.RunAsync("backup", settings), FailureReason.DatabaseAccessDenied);

        Assert.Contains("refused", failed.Message);
        Assert.Contains("MYSQL_PASSWORD", failed.Message);
        Assert.Equal($"DatabaseAccessDenied: {failed.Message}", await File.ReadAllTextAsync(terminationLog));
        Assert.DoesNotContain("not-the-password", await File.ReadAllTextAsync(terminationLog));
        await AssertNoSnapshotAsync(repository);
    }

    [Fact]
    public async Task An_unreachable_host_fails_after_the_wait_timeout_and_says_so()
    {
        var repository = TestEnvironment.TempFolder("repo");
        var settings = fixture.Settings("no-host", repository);
        settings = settings with { Database = settings.Database with { Port = TestEnvironment.FreePort(), WaitTimeout = TimeSpan.FromSeconds(3) } };

        var failed = AssertFailed(await RunnerProcess.RunAsync("backup", settings), FailureReason.DatabaseUnreachable);

        Assert.Contains("could not be reached within 3 s", failed.Message);
        Assert.Contains("MYSQL_HOST", failed.Message);
        await AssertNoSnapshotAsync(repository);
    }

    [Fact]
    public async Task A_database_that_does_not_exist_is_named()
    {
        var repository = TestEnvironment.TempFolder("repo");
        await SampleDatabase.CreateAsync(Db, "exists_a");

        var failed = AssertFailed(
            await RunnerProcess.RunAsync("backup", fixture.Settings("no-db", repository, "exists_a", "missing_db")),
            FailureReason.DatabaseNotFound);

        Assert.Contains("'missing_db' does not exist", failed.Message);
        Assert.Contains("MYSQL_DATABASES", failed.Message);
        Assert.Equal("missing_db", failed.Database);
        await AssertNoSnapshotAsync(repository);
    }

    [Fact]
    public async Task A_dump_that_fails_half_way_keeps_no_snapshot()
    {
        var repository = TestEnvironment.TempFolder("repo");
        await SampleDatabase.CreateAsync(Db, "half_way", extraRows: 5000);
        // The user may read everything, but a view whose table is gone makes the dump fail when it reaches the view,
        // after the rows of the tables before it.
        await Db.ExecuteAsync("CREATE TABLE gone (id INT); CREATE VIEW zz_broken AS SELECT id FROM gone; DROP TABLE gone;", "half_way");

        var failed = AssertFailed(await RunnerProcess.RunAsync("backup", fixture.Settings("half-way", repository, "half_way")), FailureReason.DumpFailed);

        Assert.Contains("mariadb-dump exited", failed.Message);
        Assert.True(failed.Message.Contains("zz_broken"), failed.Message);
        Assert.Matches("after [0-9]{6,} bytes", failed.Message);
        Assert.Contains("nothing was kept", failed.Message);
        Assert.Equal("half_way", failed.Database);
        await AssertNoSnapshotAsync(repository);
    }

    [Fact]
    public async Task A_user_that_cannot_read_every_table_is_refused_before_anything_is_dumped()
    {
        var repository = TestEnvironment.TempFolder("repo");
        await SampleDatabase.CreateAsync(Db, "half_priv", extraRows: 5000);
        await Db.ExecuteAsync(
            """
            DROP USER IF EXISTS 'limited'@'%';
            CREATE USER 'limited'@'%' IDENTIFIED BY 'limited-pw';
            GRANT SHOW VIEW, TRIGGER, LOCK TABLES, EVENT ON half_priv.* TO 'limited'@'%';
            GRANT SELECT ON half_priv.audit TO 'limited'@'%';
            GRANT SELECT ON half_priv.customers TO 'limited'@'%';
            GRANT SELECT ON mysql.proc TO 'limited'@'%';
            """);
        var settings = fixture.Settings("half-priv", repository, "half_priv");
        settings = settings with { Database = settings.Database with { User = "limited", Password = "limited-pw" } };

        var failed = AssertFailed(await RunnerProcess.RunAsync("backup", settings), FailureReason.InsufficientPrivileges);

        Assert.Contains("no SELECT on `filler`: the backup would hold no rows of them; no SELECT on the views `rich_customers`", failed.Message);
        Assert.Contains("GRANT SELECT ON `half_priv`.* TO 'limited'@'%'", failed.Message);
        Assert.Equal("half_priv", failed.Database);
        await AssertNoSnapshotAsync(repository);
    }

    [Theory]
    [InlineData("kill -KILL $$", FailureReason.DumpFailed)]
    [InlineData("exit 0", FailureReason.DumpTruncated)]
    public async Task A_dump_cut_off_mid_stream_keeps_no_snapshot(string thenWhat, FailureReason reason)
    {
        var repository = TestEnvironment.TempFolder("repo");
        await SampleDatabase.CreateAsync(Db, "cut_off", extraRows: 20000);
        // A mariadb-dump that passes on the first 300 kB and then dies (or claims success).
        var bin = TestEnvironment.TempFolder("bin");
        var real = "/usr/bin/mariadb-dump";
        await File.WriteAllTextAsync(Path.Combine(bin, "mariadb-dump"), $"#!/bin/bash\n{real} \"$@\" | head -c 300000\n{thenWhat}\n");
        File.SetUnixFileMode(Path.Combine(bin, "mariadb-dump"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var result = await RunnerProcess.RunAsync("backup", fixture.Settings("cut-" + reason.ToString().ToLowerInvariant(), repository, "cut_off"), pathPrefix: bin);

        var failed = AssertFailed(result, reason);
        Assert.Contains("300000 bytes", failed.Message);
        await AssertNoSnapshotAsync(repository);
        Assert.Empty(await ResticRepository.LocksAsync(repository, RunnerFixture.RepositoryPassword));
    }

    [Fact]
    public async Task A_wrong_repository_password_never_creates_a_second_repository()
    {
        var repository = TestEnvironment.TempFolder("repo");
        await SampleDatabase.CreateAsync(Db, "repo_pw");
        var first = await RunnerProcess.RunAsync("backup", fixture.Settings("repo-pw-1", repository, "repo_pw"));
        Assert.True(first.ExitCode == 0, first.ToString());
        var config = await File.ReadAllBytesAsync(Path.Combine(repository, "config"));
        var settings = fixture.Settings("repo-pw-2", repository, "repo_pw");
        settings = settings with { Repository = settings.Repository with { Password = "wrong" } };

        var failed = AssertFailed(await RunnerProcess.RunAsync("backup", settings), FailureReason.RepositoryPasswordWrong);

        Assert.Contains("RESTIC_PASSWORD does not open the repository", failed.Message);
        Assert.Equal(config, await File.ReadAllBytesAsync(Path.Combine(repository, "config")));
        Assert.Single(Directory.GetFiles(Path.Combine(repository, "keys")));
        Assert.Single(await ResticRepository.SnapshotsAsync(repository, RunnerFixture.RepositoryPassword));
    }

    [Fact]
    public async Task A_repository_folder_that_cannot_exist_is_unreachable_storage()
    {
        var file = Path.Combine(TestEnvironment.TempFolder("file"), "a-file");
        await File.WriteAllTextAsync(file, "not a folder");
        await SampleDatabase.CreateAsync(Db, "storage_bad");

        var failed = AssertFailed(
            await RunnerProcess.RunAsync("backup", fixture.Settings("storage-bad", Path.Combine(file, "repo"), "storage_bad")),
            FailureReason.StorageUnreachable);

        Assert.Contains("REPOSITORY_PATH", failed.Message);
    }

    [Fact]
    public async Task Missing_settings_are_each_named_in_one_failure()
    {
        await using var runner = RunnerProcess.Start("backup", []);
        var result = await runner.WaitAsync(TimeSpan.FromMinutes(1));

        var failed = AssertFailed(result, FailureReason.InvalidSettings);
        foreach (var name in new[] { "BACKUP_SESSION", "MYSQL_HOST", "MYSQL_USER", "RESTIC_PASSWORD", "REPOSITORY_BACKEND" })
        {
            Assert.Contains(name + " is not set", failed.Message);
        }
    }

    [Theory]
    [InlineData("MYSQL_PORT", "abc", "MYSQL_PORT='abc' is not valid")]
    [InlineData("MYSQL_WAIT_TIMEOUT_SECONDS", "-5", "MYSQL_WAIT_TIMEOUT_SECONDS='-5' is not valid")]
    [InlineData("REPOSITORY_BACKEND", "ftp", "REPOSITORY_BACKEND='ftp' is not valid: set it to local, azure or s3")]
    [InlineData("BACKUP_SESSION", "Not_A_Name", "BACKUP_SESSION='Not_A_Name' is not valid")]
    [InlineData("MYSQL_DATABASES", "ok,#mysql50#old", "MYSQL_DATABASES has '#mysql50#old', which is not a database name: it starts with '#mysql50#'")]
    [InlineData("MYSQL_DATABASES", "[\"ok\", \"trailing \"]", "MYSQL_DATABASES has 'trailing ', which is not a database name: it ends with a space")]
    [InlineData("MYSQL_DATABASES", "[\"unclosed", "MYSQL_DATABASES='[\"unclosed' is not valid (it must be a JSON array of strings")]
    [InlineData("RESTIC_PASSWORD", "", "RESTIC_PASSWORD is not set")]
    [InlineData("STORAGE_STALL_TIMEOUT_SECONDS", "0", "STORAGE_STALL_TIMEOUT_SECONDS=0 is not valid: set it to a whole number of seconds above 0")]
    [InlineData("STORAGE_STALL_TIMEOUT_SECONDS", "1.5", "STORAGE_STALL_TIMEOUT_SECONDS='1.5' is not valid: set it to how long the storage may accept nothing")]
    [InlineData("STORAGE_STALL_TIMEOUT_SECONDS", "three minutes", "STORAGE_STALL_TIMEOUT_SECONDS='three minutes' is not valid")]
    public async Task A_malformed_setting_is_named_with_its_fix(string name, string value, string expected)
    {
        var environment = EnvContract.ToEnvironment(fixture.Settings("malformed", TestEnvironment.TempFolder("repo")))
            .Where(kv => kv.Key != name)
            .Append(new(name, value));
        await using var runner = RunnerProcess.Start("backup", environment);

        var failed = AssertFailed(await runner.WaitAsync(TimeSpan.FromMinutes(1)), FailureReason.InvalidSettings);

        Assert.Contains(expected, failed.Message);
    }

    [Fact]
    public async Task An_unknown_verb_is_an_invalid_setting_that_lists_the_verbs()
    {
        await using var runner = RunnerProcess.Start("dance", EnvContract.ToEnvironment(fixture.Settings("verb", TestEnvironment.TempFolder("repo"))));

        var failed = AssertFailed(await runner.WaitAsync(TimeSpan.FromMinutes(1)), FailureReason.InvalidSettings);

        Assert.Contains("backup, restore", failed.Message);
    }

    [Fact]
    public async Task Restoring_a_snapshot_or_session_that_does_not_exist_writes_nothing()
    {
        var repository = TestEnvironment.TempFolder("repo");
        await SampleDatabase.CreateAsync(Db, "restore_missing");
        var backup = await RunnerProcess.RunAsync("backup", fixture.Settings("rm-1", repository, "restore_missing"));
        Assert.True(backup.ExitCode == 0, backup.ToString());

        var bySnapshot = fixture.Settings("rm-2", repository) with
        {
            Restore = new() { Snapshots = ["deadbeef"], Rename = new Dictionary<string, string> { ["restore_missing"] = "restore_missing_x" } },
        };
        var failed = AssertFailed(await RunnerProcess.RunAsync("restore", bySnapshot), FailureReason.SnapshotNotFound);
        Assert.Contains("snapshot 'deadbeef' does not exist", failed.Message);
        Assert.Contains("RESTORE_SNAPSHOTS", failed.Message);

        var bySession = fixture.Settings("rm-3", repository) with { Restore = new() { FromSession = "never-ran" } };
        failed = AssertFailed(await RunnerProcess.RunAsync("restore", bySession), FailureReason.SnapshotNotFound);
        Assert.Contains("RESTORE_FROM_SESSION", failed.Message);

        var byDatabase = fixture.Settings("rm-4", repository) with { Restore = new() { Databases = ["nope"] } };
        failed = AssertFailed(await RunnerProcess.RunAsync("restore", byDatabase), FailureReason.SnapshotNotFound);
        Assert.Contains("RESTORE_DATABASES", failed.Message);

        Assert.Empty(await Db.QueryAsync("SHOW DATABASES LIKE 'restore_missing_x'"));
    }

    [Fact]
    public async Task Restoring_from_a_repository_that_does_not_exist_creates_none()
    {
        var repository = Path.Combine(TestEnvironment.TempFolder("repo"), "never");
        var settings = fixture.Settings("rm-none", repository) with { Restore = new() { FromSession = "x" } };

        var failed = AssertFailed(await RunnerProcess.RunAsync("restore", settings), FailureReason.RepositoryError);

        Assert.Contains(repository, failed.Message);
        Assert.False(Directory.Exists(repository));
    }
}
