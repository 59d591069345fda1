using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Verify;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Runner.Tests.Verify;

[Collection(RunnerCollection.Name)]
public sealed class VerifyTests(RunnerFixture fixture)
{
    private MariaDbServer Db => fixture.Database;

    /// <summary>Backs up the databases under configuration cfg-{session}; returns the settings a verify run of it starts from.</summary>
    private async Task<RunnerSettings> BackUpAsync(string session, RepositorySettings repository, params string[] databases)
    {
        var backup = await RunnerProcess.RunAsync("backup", fixture.Settings(session, repository, databases));
        Assert.True(backup.ExitCode == 0, backup.ToString());
        return VerifySettingsOf(session, repository);
    }

    /// <summary>A verify run (a session of its own) of configuration cfg-{session}, on the fixture's server.</summary>
    private RunnerSettings VerifySettingsOf(string session, RepositorySettings repository)
    {
        var settings = fixture.Settings(session, repository);
        return settings with { Session = settings.Session with { Name = session + "-verify" } };
    }

    private static RepositorySettings Local() => new()
    {
        Backend = RepositoryBackend.Local, Path = TestEnvironment.TempFolder("repo"), Password = RunnerFixture.RepositoryPassword,
    };

    private async Task<IReadOnlyList<string>> ScratchDatabasesAsync(MariaDbServer server, string prefix = "verify\\_") =>
        (await server.QueryAsync($"SHOW DATABASES LIKE '{prefix}%'")).Select(r => r[0]!).ToList();

    [Theory]
    [InlineData("local")]
    [InlineData("azure")]
    public async Task A_good_backup_verifies_on_a_scratch_database_that_is_gone_afterwards(string backend)
    {
        var repository = backend == "local" ? Local() : fixture.Repository("azure", "verify-good");
        var (shop, crm) = ($"vg_shop_{backend}", $"vg_crm_{backend}");
        await SampleDatabase.CreateAsync(Db, shop, extraRows: 2000);
        await SampleDatabase.CreateAsync(Db, crm);
        var settings = await BackUpAsync($"vg-{backend}", repository, shop, crm);
        settings = settings with
        {
            Verify = new()
            {
                Checks = $$"""[{"name": "has-customers", "database": "{{shop}}", "sql": "SELECT COUNT(*) FROM customers", "min": 4, "max": 4}, {"name": "filler", "database": "{{shop}}", "sql": "SELECT COUNT(*) FROM filler", "equals": 2000}]""",
            },
        };

        var verify = await RunnerProcess.RunAsync("verify", settings);

        Assert.True(verify.ExitCode == 0, verify.ToString());
        var verification = verify.Succeeded!.Verification!;
        Assert.Equal([crm, shop], verification.Databases.Select(d => d.Database));
        Assert.All(verification.Databases, d =>
        {
            Assert.Matches("^[0-9a-f]{64}$", d.BackupSha256);
            Assert.Equal(d.BackupSha256, d.RestoredSha256);
            Assert.True(d.Equal);
            Assert.Null(d.FirstDifference);
            Assert.StartsWith("verify_" + d.Database + "_", d.Scratch);
        });
        Assert.Equal(["has-customers", "filler"], verification.Checks.Select(c => c.Name));
        Assert.All(verification.Checks, c => Assert.True(c.Passed, c.Message));
        Assert.Empty(await ScratchDatabasesAsync(Db));
        // The sources are untouched.
        Assert.Equal("4", (await Db.QueryAsync("SELECT COUNT(*) FROM customers", shop)).Single()[0]);
    }

    [Fact]
    public async Task MYSQL_DATABASES_limits_the_databases_verified()
    {
        var repository = Local();
        await SampleDatabase.CreateAsync(Db, "vl_a");
        await SampleDatabase.CreateAsync(Db, "vl_b");
        var settings = await BackUpAsync("vl", repository, "vl_a", "vl_b");

        var verify = await RunnerProcess.RunAsync("verify", settings with { Database = settings.Database with { Databases = ["vl_b"] } });

        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Equal("vl_b", Assert.Single(verify.Succeeded!.Verification!.Databases).Database);
    }

    [Fact]
    public async Task A_good_backup_verifies_on_a_second_server_and_leaves_nothing_on_either()
    {
        await using var scratch = await MariaDbServer.StartAsync();
        var repository = Local();
        await SampleDatabase.CreateAsync(Db, "v2_shop", extraRows: 2000);
        var settings = await BackUpAsync("v2", repository, "v2_shop");
        settings = settings with { Verify = new() { Host = scratch.Host, Port = scratch.Port, User = MariaDbServer.User, Password = MariaDbServer.Password } };

        var verify = await RunnerProcess.RunAsync("verify", settings);

        Assert.True(verify.ExitCode == 0, verify.ToString());
        var database = Assert.Single(verify.Succeeded!.Verification!.Databases);
        Assert.Equal(database.BackupSha256, database.RestoredSha256);
        Assert.Empty(await ScratchDatabasesAsync(scratch));
        Assert.Empty(await ScratchDatabasesAsync(Db));
    }

    [Fact]
    public async Task Data_restored_differently_on_the_scratch_server_fails_naming_the_table()
    {
        // A scratch server that folds table names to lower case restores table Orders as orders: not the same data.
        await using var folding = await MariaDbServer.StartAsync(["--lower-case-table-names=1"]);
        var repository = Local();
        await Db.ExecuteAsync("DROP DATABASE IF EXISTS vd_case; CREATE DATABASE vd_case");
        await Db.ExecuteAsync(
            "CREATE TABLE `Orders` (id INT PRIMARY KEY, total DECIMAL(10,2)); INSERT INTO `Orders` VALUES (1, 9.5), (2, 3);" +
            "CREATE TABLE parts (id INT PRIMARY KEY); INSERT INTO parts VALUES (1);", "vd_case");
        var settings = await BackUpAsync("vd", repository, "vd_case");
        settings = settings with { Verify = new() { Host = folding.Host, Port = folding.Port } };

        var verify = await RunnerProcess.RunAsync("verify", settings);

        Assert.Equal(17, verify.ExitCode);
        Assert.True(verify.Failed?.Reason == FailureReason.VerificationFailed, verify.ToString());
        Assert.Contains("`Orders`", verify.Failed!.Message);
        var database = Assert.Single(verify.Failed.Verification!.Databases);
        Assert.NotEqual(database.BackupSha256, database.RestoredSha256);
        Assert.Contains("`Orders`", database.FirstDifference);
        Assert.Empty(await ScratchDatabasesAsync(folding));
        Assert.Empty(await ScratchDatabasesAsync(Db));
    }

    [Fact]
    public async Task A_damaged_repository_fails_naming_the_snapshot_and_creates_no_scratch_database()
    {
        var repository = Local();
        await SampleDatabase.CreateAsync(Db, "vdmg", extraRows: 2000);
        var settings = await BackUpAsync("vdmg", repository, "vdmg");
        var snapshot = (await Pipeline.ResticRepository.SnapshotsAsync(repository.Path!, RunnerFixture.RepositoryPassword)).Single().GetProperty("short_id").GetString()!;
        // Damage the middle of every data pack: the dump's blobs no longer decrypt.
        foreach (var pack in Directory.EnumerateFiles(Path.Combine(repository.Path!, "data"), "*", SearchOption.AllDirectories))
        {
            await using var file = new FileStream(pack, FileMode.Open, FileAccess.ReadWrite);
            file.Position = file.Length / 2;
            file.Write(new byte[64]);
        }

        var verify = await RunnerProcess.RunAsync("verify", settings);

        Assert.True(verify.ExitCode != 0, verify.ToString());
        Assert.Equal(FailureReason.RepositoryError, verify.Failed!.Reason);
        Assert.Contains(snapshot, verify.Failed.Message);
        Assert.Equal("vdmg", verify.Failed.Database);
        Assert.Empty(await ScratchDatabasesAsync(Db));
    }

    [Fact]
    public async Task Checks_that_fail_or_are_not_valid_SQL_fail_the_run_naming_each()
    {
        var repository = Local();
        await SampleDatabase.CreateAsync(Db, "vchk");
        var settings = await BackUpAsync("vchk", repository, "vchk");
        settings = settings with
        {
            Verify = new()
            {
                Checks = """
                    [{"name": "good", "database": "vchk", "sql": "SELECT COUNT(*) FROM customers", "equals": 4},
                     {"name": "too-few", "database": "vchk", "sql": "SELECT COUNT(*) FROM customers", "min": 100},
                     {"name": "text", "database": "vchk", "sql": "SELECT REPEAT(CONCAT('hid', 'den'), 3)", "min": 0},
                     {"name": "broken", "database": "vchk", "sql": "SELECT nothing FROM nowhere", "min": 0}]
                    """,
            },
        };

        var verify = await RunnerProcess.RunAsync("verify", settings);

        Assert.Equal(17, verify.ExitCode);
        var failed = verify.Failed!;
        Assert.True(failed.Reason == FailureReason.VerificationFailed, verify.ToString());
        foreach (var name in new[] { "too-few", "text", "broken" })
        {
            Assert.Contains($"'{name}'", failed.Message);
        }
        var checks = failed.Verification!.Checks.ToDictionary(c => c.Name);
        Assert.True(checks["good"].Passed, checks["good"].Message);
        Assert.Contains("less than its min 100", checks["too-few"].Message);
        // What a check returns is never echoed: a query could read what the report must not carry.
        Assert.DoesNotContain("hiddenhidden", checks["text"].Message);
        Assert.DoesNotContain("hiddenhidden", verify.Stdout + verify.Stderr);
        Assert.Contains("doesn't exist", checks["broken"].Message);
        Assert.All(failed.Verification.Databases, d => Assert.True(d.Equal));
        Assert.Empty(await ScratchDatabasesAsync(Db));
    }

    [Theory]
    [InlineData("INSERT INTO audit (action) VALUES ('x')", "not a SELECT")]
    [InlineData("CREATE TABLE sneaky (id INT)", "not a SELECT")]
    [InlineData("SET SESSION TRANSACTION READ WRITE; DROP DATABASE vwr; SELECT 1", "more than one statement")]
    [InlineData("SELECT * FROM customers INTO OUTFILE '/tmp/out'", "INTO")]
    public async Task A_check_that_could_write_is_refused_before_anything_is_touched(string sql, string why)
    {
        var repository = Local();
        await SampleDatabase.CreateAsync(Db, "vwr");
        var settings = await BackUpAsync("vwr", repository, "vwr");
        var checks = System.Text.Json.JsonSerializer.Serialize(new[] { new { name = "sneaky", database = "vwr", sql, min = 0 } });

        var verify = await RunnerProcess.RunAsync("verify", settings with { Verify = new() { Checks = checks } });

        Assert.True(verify.Failed?.Reason == FailureReason.InvalidSettings, verify.ToString());
        Assert.Contains("VERIFY_CHECKS", verify.Failed!.Message);
        Assert.Contains("check 'sneaky'", verify.Failed.Message);
        Assert.Contains(why, verify.Failed.Message);
        Assert.Empty(await ScratchDatabasesAsync(Db));
        Assert.Equal(await SampleDatabase.FingerprintAsync(Db, "vwr"), await SampleDatabase.FingerprintAsync(Db, "vwr"));
        Assert.NotEmpty(await Db.QueryAsync("SHOW DATABASES LIKE 'vwr'"));
    }

    [Fact]
    public async Task An_existing_scratch_database_is_refused_and_left_as_it_is()
    {
        var repository = Local();
        await SampleDatabase.CreateAsync(Db, "vex");
        var settings = await BackUpAsync("vex", repository, "vex");
        var scratch = ScratchNames.For("verify_", "vex", settings.Session.Namespace, settings.Session.Name!);
        await Db.ExecuteAsync($"CREATE DATABASE `{scratch}`; CREATE TABLE `{scratch}`.mine (id INT); INSERT INTO `{scratch}`.mine VALUES (7)");

        var verify = await RunnerProcess.RunAsync("verify", settings);

        Assert.True(verify.Failed?.Reason == FailureReason.InvalidSettings, verify.ToString());
        Assert.Contains(scratch, verify.Failed!.Message);
        Assert.Contains("already exists", verify.Failed.Message);
        Assert.Equal("7", (await Db.QueryAsync("SELECT id FROM mine", scratch)).Single()[0]);
        await Db.ExecuteAsync($"DROP DATABASE `{scratch}`");
    }

    [Fact]
    public async Task A_scratch_name_that_the_configuration_backs_up_is_refused_and_left_as_it_is()
    {
        var repository = Local();
        var verify = VerifySettingsOf("vcol", repository);
        var scratch = ScratchNames.For("verify_", "vcol", verify.Session.Namespace, verify.Session.Name!);
        await SampleDatabase.CreateAsync(Db, "vcol");
        await SampleDatabase.CreateAsync(Db, scratch);
        await BackUpAsync("vcol", repository, "vcol", scratch);

        var result = await RunnerProcess.RunAsync("verify", verify with { Database = verify.Database with { Databases = ["vcol"] } });

        Assert.True(result.Failed?.Reason == FailureReason.InvalidSettings, result.ToString());
        Assert.Contains("a database this configuration backs up", result.Failed!.Message);
        Assert.Equal(await SampleDatabase.FingerprintAsync(Db, "vcol"), await SampleDatabase.FingerprintAsync(Db, scratch));
        await Db.ExecuteAsync($"DROP DATABASE `{scratch}`");
    }

    [Fact]
    public async Task An_unreachable_scratch_server_fails_clearly_and_touches_nothing()
    {
        var repository = Local();
        await SampleDatabase.CreateAsync(Db, "vunr");
        var settings = await BackUpAsync("vunr", repository, "vunr");
        settings = settings with
        {
            Database = settings.Database with { WaitTimeout = TimeSpan.FromSeconds(3) },
            Verify = new() { Host = "127.0.0.1", Port = TestEnvironment.FreePort() },
        };

        var verify = await RunnerProcess.RunAsync("verify", settings);

        Assert.True(verify.Failed?.Reason == FailureReason.DatabaseUnreachable, verify.ToString());
        Assert.Contains("VERIFY_HOST", verify.Failed!.Message);
        Assert.Contains($"{settings.Verify.Port}", verify.Failed.Message);
        Assert.Empty(await ScratchDatabasesAsync(Db));
    }

    [Fact]
    public async Task No_snapshot_yet_fails_with_snapshot_not_found_and_touches_nothing()
    {
        var repository = Local();
        await SampleDatabase.CreateAsync(Db, "vnone");
        // The repository holds another configuration's snapshot only.
        await BackUpAsync("vnone-other", repository, "vnone");

        var verify = await RunnerProcess.RunAsync("verify", VerifySettingsOf("vnone", repository));

        Assert.True(verify.Failed?.Reason == FailureReason.SnapshotNotFound, verify.ToString());
        Assert.Contains("cfg-vnone", verify.Failed!.Message);
        Assert.Contains("no confirmed snapshot", verify.Failed.Message);
        Assert.Empty(await ScratchDatabasesAsync(Db));
    }

    [Fact]
    public async Task VERIFY_CHECKS_that_is_not_JSON_is_invalid_settings_naming_it()
    {
        var settings = VerifySettingsOf("vjson", Local()) with { Verify = new() { Checks = "[{name: oops" } };

        var verify = await RunnerProcess.RunAsync("verify", settings);

        Assert.True(verify.Failed?.Reason == FailureReason.InvalidSettings, verify.ToString());
        Assert.Contains("VERIFY_CHECKS", verify.Failed!.Message);
    }

    [Fact]
    public async Task SIGTERM_mid_restore_drops_the_scratch_database()
    {
        var repository = Local();
        await SampleDatabase.CreateAsync(Db, "vsig", extraRows: 2000);
        var settings = await BackUpAsync("vsig", repository, "vsig");
        await using var runner = RunnerProcess.Start("verify", EnvContract.ToEnvironment(settings), SlowClientFolder());

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await ScratchDatabasesAsync(Db, "verify\\_vsig")).Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the scratch database never appeared: " + runner.StderrSoFar);
            await Task.Delay(200);
        }
        await Task.Delay(500);
        runner.Signal(15);
        var result = await runner.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(143, result.ExitCode);
        Assert.Equal(FailureReason.Cancelled, result.Failed?.Reason);
        Assert.Empty(await ScratchDatabasesAsync(Db));
    }

    [Fact]
    public async Task A_scratch_database_a_SIGKILLed_run_left_is_dropped_by_the_next_verify_run()
    {
        var repository = Local();
        await SampleDatabase.CreateAsync(Db, "vkill", extraRows: 500);
        var settings = await BackUpAsync("vkill", repository, "vkill");
        await using (var runner = RunnerProcess.Start("verify", EnvContract.ToEnvironment(settings), SlowClientFolder()))
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while ((await ScratchDatabasesAsync(Db, "verify\\_vkill")).Count == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "the scratch database never appeared: " + runner.StderrSoFar);
                await Task.Delay(200);
            }
            runner.Signal(9);
            await runner.WaitAsync(TimeSpan.FromSeconds(60));
        }
        var left = Assert.Single(await ScratchDatabasesAsync(Db, "verify\\_vkill"));
        // A database of the same pattern that no run recorded is never dropped.
        await Db.ExecuteAsync("CREATE DATABASE verify_vkill_mine");

        // A later verify run (another session) drops what the killed one left, then verifies as usual.
        var again = settings with { Session = settings.Session with { Name = "vkill-verify-2" } };
        var verify = await RunnerProcess.RunAsync("verify", again);

        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("that verify session", verify.Stderr + verify.Stdout);
        Assert.DoesNotContain(left, await ScratchDatabasesAsync(Db));
        Assert.Equal(["verify_vkill_mine"], await ScratchDatabasesAsync(Db, "verify\\_vkill"));
        Assert.Empty(Directory.GetFiles(Path.Combine(repository.Path!, "backup-runner", "verify-scratch")));
        await Db.ExecuteAsync("DROP DATABASE verify_vkill_mine");
    }

    /// <summary>
    /// A mariadb client that waits a minute before it applies anything, so a test can act mid-restore; interrupted,
    /// it ends at once, as the real client does.
    /// </summary>
    private static string SlowClientFolder()
    {
        var bin = TestEnvironment.TempFolder("bin");
        var script = Path.Combine(bin, "mariadb");
        File.WriteAllText(script, "#!/bin/bash\nsleep 60 & trap 'kill $!; exit 130' INT TERM\nwait $!\nexec /usr/bin/mariadb \"$@\"\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return bin;
    }
}
