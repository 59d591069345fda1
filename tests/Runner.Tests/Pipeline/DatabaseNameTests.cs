using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;
using MySqlConnector;
using Serverless.Backup.Core;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Runner.Tests.Pipeline;

/// <summary>Databases with any name the server accepts go through backups and restores on every backend.</summary>
[Collection(RunnerCollection.Name)]
public sealed class DatabaseNameTests(RunnerFixture fixture)
{
    private MariaDbServer Db => fixture.Database;

    [Theory]
    [InlineData("local")]
    [InlineData("azure")]
    [InlineData("s3")]
    public async Task Databases_named_with_spaces_unicode_and_punctuation_are_backed_up_and_restored_renamed_in_part_and_under_their_own_names(string backend)
    {
        var repository = fixture.Repository(backend, "names-" + backend);
        var snowman = $"weird db ☃ {backend}";
        // A space at the start, the comma of restic's tag lists and the '=' of the rename pairs, quotes, a backtick,
        // a slash and a backslash (folders on the server and in the repository), a dot: each its own trap.
        var punctuated = $" lead,comma=eq`tick'q\"dq/sl\\bs.dot {backend}";
        var plain = $"names_plain_{backend}";
        foreach (var name in new[] { snowman, punctuated, plain })
        {
            await SampleDatabase.CreateAsync(Db, name);
        }
        var original = await SampleDatabase.FingerprintAsync(Db, snowman);

        var backup = await RunnerProcess.RunAsync("backup", fixture.Settings("names-1", repository, snowman, punctuated, plain));

        Assert.True(backup.ExitCode == 0, backup.ToString());
        Assert.Equal([snowman, punctuated, plain], backup.Succeeded!.Databases.Select(d => d.Database));
        Assert.Equal([snowman, punctuated, plain], backup.Events.OfType<Core.Events.StartedEvent>().Single().Databases);
        if (backend == "local")
        {
            // A person listing the repository finds each database under one tag and one file, both encoded.
            var snapshots = await ResticRepository.SnapshotsAsync(repository.Path!, RunnerFixture.RepositoryPassword);
            var tags = snapshots.SelectMany(s => s.GetProperty("tags").EnumerateArray().Select(t => t.GetString())).ToList();
            Assert.Contains("db=weird%20db%20%E2%98%83%20local", tags);
            Assert.Contains($"db={plain}", tags);
            Assert.Contains("/%20lead%2Ccomma%3Deq%60tick%27q%22dq%2Fsl%5Cbs.dot%20local.sql",
                snapshots.SelectMany(s => s.GetProperty("paths").EnumerateArray().Select(p => p.GetString())));
        }

        // Two of the three, each into a new name that is as unusual as the source.
        var renamed = new Dictionary<string, string> { [snowman] = $"copie ☃ {backend}", [punctuated] = punctuated + " copy" };
        var part = fixture.Settings("names-2", repository) with
        {
            Restore = new() { FromSession = "names-1", Databases = [snowman, punctuated], Rename = renamed },
        };
        var restore = await RunnerProcess.RunAsync("restore", part);

        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal([punctuated, snowman], restore.Succeeded!.Databases.Select(d => d.Database));
        Assert.Equal([renamed[punctuated], renamed[snowman]], restore.Succeeded.Databases.Select(d => d.RestoredInto));
        Assert.Equal(original, await SampleDatabase.FingerprintAsync(Db, renamed[snowman]));
        Assert.Equal(await SampleDatabase.FingerprintAsync(Db, punctuated), await SampleDatabase.FingerprintAsync(Db, renamed[punctuated]));
        Assert.Empty(await Db.QueryAsync($"SHOW DATABASES LIKE '{plain}\\_%'"));

        // Dropped, then restored under its own name: back as it was.
        await Db.ExecuteAsync($"DROP DATABASE {SampleDatabase.Quote(snowman)}");
        var own = fixture.Settings("names-3", repository) with { Restore = new() { FromSession = "names-1", Databases = [snowman] } };
        var again = await RunnerProcess.RunAsync("restore", own);

        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(snowman, Assert.Single(again.Succeeded!.Databases).RestoredInto);
        Assert.Equal(original, await SampleDatabase.FingerprintAsync(Db, snowman));
    }

    [Fact]
    public void The_environment_carries_such_names_as_json_lists_that_the_runner_reads()
    {
        var settings = fixture.Settings("names-env", TestEnvironment.TempFolder("repo"), " lead", "a,b") with
        {
            Restore = new() { Rename = new Dictionary<string, string> { ["a=b"] = "c" } },
        };

        var environment = EnvContract.ToEnvironment(settings).ToDictionary(kv => kv.Key, kv => kv.Value);

        Assert.Equal([" lead", "a,b"], JsonSerializer.Deserialize<List<string>>(environment["MYSQL_DATABASES"]));
        Assert.Equal("c", JsonSerializer.Deserialize<Dictionary<string, string>>(environment["RESTORE_RENAME"])!["a=b"]);
    }

    [Fact]
    public async Task A_snapshot_written_with_the_plain_tags_of_earlier_versions_is_restored()
    {
        var repository = TestEnvironment.TempFolder("repo");
        await SampleDatabase.CreateAsync(Db, "legacy_shop$1");
        // What earlier runners ran: the plain name in the tag and the file name.
        await ResticRepository.Restic(repository, RunnerFixture.RepositoryPassword, "init");
        var dump = await Cli.Wrap("mariadb-dump").WithArguments(
            ["--no-defaults", "-h", Db.Host, "-P", Db.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-u", MariaDbServer.User,
             $"--password={MariaDbServer.Password}", "--single-transaction", "--routines", "--triggers", "--events", "--hex-blob", "--skip-dump-date", "--", "legacy_shop$1"])
            .ExecuteBufferedAsync(System.Text.Encoding.UTF8);
        await Cli.Wrap("restic")
            .WithArguments(["backup", "--stdin", "--stdin-filename", "legacy_shop$1.sql", "--host", "tests.cfg-legacy",
                "--tag", "session=legacy-1", "--tag", "namespace=tests", "--tag", "config=cfg-legacy", "--tag", "db=legacy_shop$1",
                "--tag", "charset=utf8mb4", "--tag", "collation=utf8mb4_unicode_ci"])
            .WithEnvironmentVariables(new Dictionary<string, string?> { ["RESTIC_REPOSITORY"] = repository, ["RESTIC_PASSWORD"] = RunnerFixture.RepositoryPassword })
            .WithStandardInputPipe(PipeSource.FromString(dump.StandardOutput, System.Text.Encoding.UTF8))
            .ExecuteBufferedAsync();

        var settings = fixture.Settings("legacy-2", repository) with
        {
            Restore = new() { FromSession = "legacy-1", Rename = new Dictionary<string, string> { ["legacy_shop$1"] = "legacy_shop$1_copy" } },
        };
        var restore = await RunnerProcess.RunAsync("restore", settings);

        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal("legacy_shop$1", Assert.Single(restore.Succeeded!.Databases).Database);
        Assert.Equal(await SampleDatabase.FingerprintAsync(Db, "legacy_shop$1"), await SampleDatabase.FingerprintAsync(Db, "legacy_shop$1_copy"));
    }

    /// <summary>Names at the edges of the rule, each with what the real server answers to CREATE DATABASE.</summary>
    public static TheoryData<string> EdgeNames => new()
    {
        "edge ☃", "edge.dot", ".", "..", "edge/slash", "edge\\back", "edge`tick", "edge'q", "edge\"dq", " edge lead", "edge\nline",
        "edge trail ", "edge trail\t", "edge trail\n", "edge 🚀", "#mysql50#edge", "#mysql50edge", "edge#mysql50#", new string('e', 64),
        new string('e', 65), "edge\u00a0", "edge\u0001", "edge\uffff",
    };

    [Theory]
    [MemberData(nameof(EdgeNames))]
    public async Task The_name_rule_agrees_with_what_the_server_accepts(string name)
    {
        bool accepted;
        try
        {
            await Db.ExecuteAsync($"CREATE DATABASE {SampleDatabase.Quote(name)}");
            accepted = true;
            await Db.ExecuteAsync($"DROP DATABASE {SampleDatabase.Quote(name)}");
        }
        catch (MySqlException e) when (e.ErrorCode is MySqlErrorCode.WrongDatabaseName or MySqlErrorCode.TooLongIdentifier or MySqlErrorCode.InvalidCharacterString)
        {
            accepted = false;
        }

        Assert.Equal(accepted, DatabaseNames.IsValid(name));
    }
}
