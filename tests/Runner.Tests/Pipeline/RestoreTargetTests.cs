using Serverless.Backup.Core.Events;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Runner.Tests.Pipeline;

/// <summary>A restore never writes into the server's own databases, nor over a database that holds data unless told to.</summary>
[Collection(RunnerCollection.Name)]
public sealed class RestoreTargetTests(RunnerFixture fixture)
{
    private MariaDbServer Db => fixture.Database;

    private static FailedEvent AssertFailed(RunnerResult result, FailureReason reason)
    {
        Assert.True(result.Failed is not null, result.ToString());
        Assert.Equal(reason, result.Failed.Reason);
        Assert.Equal(ExitCodes.For(reason), result.ExitCode);
        Assert.Null(result.Succeeded);
        return result.Failed;
    }

    private async Task<IReadOnlyList<string>> DatabasesAsync() =>
        (await Db.QueryAsync("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME")).Select(r => r[0]!).ToList();

    /// <summary>Tables, views and routines of the server's own databases, to show that nothing was added to them.</summary>
    private async Task<string> ServerSchemasAsync() =>
        string.Join("\n", (await Db.QueryAsync(
            "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA IN ('mysql', 'sys', 'performance_schema') " +
            "UNION ALL SELECT ROUTINE_SCHEMA, ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA IN ('mysql', 'sys', 'performance_schema') ORDER BY 1, 2"))
            .Select(r => $"{r[0]}.{r[1]}"));

    private async Task<string> BackUpAsync(string session, string repository, params string[] databases)
    {
        foreach (var database in databases)
        {
            await SampleDatabase.CreateAsync(Db, database);
        }
        var backup = await RunnerProcess.RunAsync("backup", fixture.Settings(session, repository, databases));
        Assert.True(backup.ExitCode == 0, backup.ToString());
        return repository;
    }

    [Fact]
    public async Task A_restore_renamed_into_one_of_the_servers_own_databases_is_refused_in_any_letter_case_and_writes_nothing()
    {
        var repository = await BackUpAsync("sys-1", TestEnvironment.TempFolder("repo"), "sys_source");
        var schemas = await ServerSchemasAsync();
        var databases = await DatabasesAsync();

        foreach (var target in new[] { "mysql", "MySQL", "sys", "PERFORMANCE_SCHEMA", "information_schema" })
        {
            var settings = fixture.Settings("sys-2", repository) with
            {
                Restore = new() { FromSession = "sys-1", Rename = new Dictionary<string, string> { ["sys_source"] = target } },
            };

            var failed = AssertFailed(await RunnerProcess.RunAsync("restore", settings), FailureReason.InvalidSettings);

            Assert.Contains($"RESTORE_RENAME maps 'sys_source' to '{target}', one of the server's own databases", failed.Message);
        }
        Assert.Equal(schemas, await ServerSchemasAsync());
        Assert.Equal(databases, await DatabasesAsync());
    }

    [Fact]
    public async Task A_backup_of_the_mysql_database_is_not_restored_over_the_servers_own_but_can_be_under_another_name()
    {
        var repository = TestEnvironment.TempFolder("repo");
        var backup = await RunnerProcess.RunAsync("backup", fixture.Settings("own-1", repository, "mysql"));
        Assert.True(backup.ExitCode == 0, backup.ToString());
        var schemas = await ServerSchemasAsync();

        var failed = AssertFailed(
            await RunnerProcess.RunAsync("restore", fixture.Settings("own-2", repository) with { Restore = new() { FromSession = "own-1" } }),
            FailureReason.InvalidSettings);

        Assert.StartsWith("the chosen snapshots hold 'mysql', which would be restored into the server's own 'mysql' database", failed.Message);
        Assert.Contains("RESTORE_RENAME", failed.Message);
        Assert.Equal(schemas, await ServerSchemasAsync());

        var renamed = fixture.Settings("own-3", repository) with
        {
            Restore = new() { FromSession = "own-1", Rename = new Dictionary<string, string> { ["mysql"] = "mysql_restored_copy" } },
        };
        var restore = await RunnerProcess.RunAsync("restore", renamed);

        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.NotEmpty(await Db.QueryAsync("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'mysql_restored_copy' AND TABLE_NAME = 'global_priv'"));
    }

    [Fact]
    public async Task A_target_that_holds_tables_stops_a_restore_of_three_databases_before_any_is_written()
    {
        var repository = await BackUpAsync("full-1", TestEnvironment.TempFolder("repo"), "full_a", "full_b", "full_c");
        await Db.ExecuteAsync("DROP DATABASE IF EXISTS billing; CREATE DATABASE billing; CREATE TABLE billing.orders (id INT PRIMARY KEY); INSERT INTO billing.orders VALUES (1)");
        await Db.ExecuteAsync("DROP DATABASE IF EXISTS full_a_new; DROP DATABASE IF EXISTS full_b_new");
        var settings = fixture.Settings("full-2", repository) with
        {
            Restore = new()
            {
                FromSession = "full-1",
                Rename = new Dictionary<string, string> { ["full_a"] = "full_a_new", ["full_b"] = "full_b_new", ["full_c"] = "billing" },
            },
        };

        var failed = AssertFailed(await RunnerProcess.RunAsync("restore", settings), FailureReason.TargetNotEmpty);

        Assert.StartsWith("the target database 'billing' (the target of 'full_c') holds 1 table ('orders')", failed.Message);
        Assert.Contains("RESTORE_OVERWRITE=true", failed.Message);
        Assert.Contains("nothing was written", failed.Message);
        Assert.Equal("full_c", failed.Database);
        Assert.DoesNotContain("full_a_new", await DatabasesAsync());
        Assert.DoesNotContain("full_b_new", await DatabasesAsync());
        Assert.Equal(["orders"], (await Db.QueryAsync("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'billing'")).Select(r => r[0]));
        Assert.Equal("1", (await Db.QueryAsync("SELECT COUNT(*) FROM billing.orders"))[0][0]);
    }

    [Fact]
    public async Task A_database_with_only_a_view_or_a_routine_is_not_empty_either()
    {
        var repository = await BackUpAsync("view-1", TestEnvironment.TempFolder("repo"), "view_source");
        await Db.ExecuteAsync("DROP DATABASE IF EXISTS view_only; CREATE DATABASE view_only; CREATE VIEW view_only.answer AS SELECT 42 AS n;");
        await Db.ExecuteAsync("DROP DATABASE IF EXISTS routine_only; CREATE DATABASE routine_only; CREATE FUNCTION routine_only.one() RETURNS INT RETURN 1;");

        foreach (var (target, holds) in new[] { ("view_only", "1 view ('answer')"), ("routine_only", "1 routine ('one')") })
        {
            var settings = fixture.Settings("view-2", repository) with
            {
                Restore = new() { FromSession = "view-1", Rename = new Dictionary<string, string> { ["view_source"] = target } },
            };

            var failed = AssertFailed(await RunnerProcess.RunAsync("restore", settings), FailureReason.TargetNotEmpty);

            Assert.Contains($"'{target}' (the target of 'view_source') holds {holds}", failed.Message);
            Assert.Empty(await Db.QueryAsync($"SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{target}' AND TABLE_NAME = 'customers'"));
        }
    }

    [Fact]
    public async Task An_existing_empty_database_is_restored_into()
    {
        var repository = await BackUpAsync("empty-1", TestEnvironment.TempFolder("repo"), "empty_source");
        await Db.ExecuteAsync("DROP DATABASE IF EXISTS empty_target; CREATE DATABASE empty_target CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
        var settings = fixture.Settings("empty-2", repository) with
        {
            Restore = new() { FromSession = "empty-1", Rename = new Dictionary<string, string> { ["empty_source"] = "empty_target" } },
        };

        var restore = await RunnerProcess.RunAsync("restore", settings);

        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(await SampleDatabase.FingerprintAsync(Db, "empty_source"), await SampleDatabase.FingerprintAsync(Db, "empty_target"));
    }

    [Fact]
    public async Task With_overwrite_a_database_that_holds_tables_gets_the_backups_tables()
    {
        var repository = await BackUpAsync("over-1", TestEnvironment.TempFolder("repo"), "over_source");
        await Db.ExecuteAsync("DROP DATABASE IF EXISTS over_target; CREATE DATABASE over_target; CREATE TABLE over_target.customers (id INT PRIMARY KEY); INSERT INTO over_target.customers VALUES (1)");
        var settings = fixture.Settings("over-2", repository) with
        {
            Restore = new() { FromSession = "over-1", Rename = new Dictionary<string, string> { ["over_source"] = "over_target" }, Overwrite = true },
        };

        var restore = await RunnerProcess.RunAsync("restore", settings);

        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(
            (await Db.QueryAsync("SELECT COUNT(*) FROM customers", "over_source"))[0][0],
            (await Db.QueryAsync("SELECT COUNT(*) FROM customers", "over_target"))[0][0]);
    }

    [Fact]
    public async Task A_target_name_too_long_for_the_servers_folders_is_refused_before_anything_is_written()
    {
        var repository = await BackUpAsync("long-1", TestEnvironment.TempFolder("repo"), "long_a", "long_b");
        var snowmen = new string('☃', 64);
        var settings = fixture.Settings("long-2", repository) with
        {
            Restore = new() { FromSession = "long-1", Rename = new Dictionary<string, string> { ["long_a"] = "long_a_new", ["long_b"] = snowmen } },
        };

        var failed = AssertFailed(await RunnerProcess.RunAsync("restore", settings), FailureReason.InvalidSettings);

        Assert.Contains("takes 320 bytes, more than the 255 a file name can hold", failed.Message);
        Assert.Equal("long_b", failed.Database);
        Assert.DoesNotContain("long_a_new", await DatabasesAsync());
    }
}
