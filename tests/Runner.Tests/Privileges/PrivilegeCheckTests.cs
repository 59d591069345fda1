using System.Text.RegularExpressions;
using CliWrap;
using CliWrap.Buffered;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Database;
using Serverless.Backup.Runner.Tests.Pipeline;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Runner.Tests.Privileges;

/// <summary>
/// A backup user that cannot read everything gets a failed backup that names what is missing and the GRANT that
/// fixes it, never a backup that looks good but lacks data; a user whose privileges suffice, wherever they come
/// from, is never blocked. Each test has its own database and user on the real MariaDB, and runs the real runner.
/// </summary>
[Collection(RunnerCollection.Name)]
public sealed class PrivilegeCheckTests(RunnerFixture fixture)
{
    private const string Password = "user-pw";

    /// <summary>What the documentation recommends on MariaDB before 11.3 (routines' definitions are in mysql.proc).</summary>
    private const string RecommendedGrant = "GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON `{db}`.* TO {user}; GRANT SELECT ON mysql.proc TO {user};";

    private MariaDbServer Db => fixture.Database;

    [Fact]
    public async Task A_table_the_user_cannot_read_fails_the_backup_instead_of_being_left_out()
    {
        const string db = "priv_no_table";
        await CreateWithSecretsAsync(db);
        // The issue's case: database-level privileges that show every table, SELECT table by table, but none on `secrets`.
        var settings = await AsUserAsync("priv-no-table", "pnt", db,
            """
            GRANT SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON `{db}`.* TO {user};
            GRANT SELECT ON `{db}`.customers TO {user}; GRANT SELECT ON `{db}`.audit TO {user}; GRANT SELECT ON `{db}`.rich_customers TO {user};
            GRANT SELECT ON mysql.proc TO {user};
            """);
        // Left to itself, the dump succeeds and has the table without its rows.
        var direct = await DumpDirectlyAsync("pnt", db);
        Assert.Equal(0, direct.ExitCode);
        Assert.Contains("CREATE TABLE `secrets`", direct.StandardOutput);
        Assert.DoesNotContain("INSERT INTO `secrets`", direct.StandardOutput);

        var failed = await AssertRefusedAsync(settings);

        Assert.Equal(db, failed.Database);
        Assert.Contains("Database 'priv_no_table': no SELECT on `secrets`", failed.Message);
        Assert.Contains("GRANT SELECT ON `priv_no_table`.* TO 'pnt'@'%'", failed.Message);
        await AssertFixedByTheNamedGrantsAsync(failed.Message, "'pnt'@'%'", settings, db);
    }

    [Fact]
    public async Task Select_on_some_columns_only_fails_the_backup_naming_the_table_and_its_columns()
    {
        const string db = "priv_columns";
        await SampleDatabase.CreateAsync(Db, db);
        var settings = await AsUserAsync("priv-columns", "pcol", db,
            """
            GRANT SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON `{db}`.* TO {user};
            GRANT SELECT (id, name) ON `{db}`.customers TO {user};
            GRANT SELECT ON `{db}`.audit TO {user}; GRANT SELECT ON `{db}`.rich_customers TO {user};
            GRANT SELECT ON mysql.proc TO {user};
            """);
        // Left to itself, the dump succeeds with INSERTs of two columns, which the table of eight refuses (ERROR 1136).
        var direct = await DumpDirectlyAsync("pcol", db);
        Assert.Equal(0, direct.ExitCode);
        await Db.ExecuteAsync("DROP DATABASE IF EXISTS priv_columns_applied; CREATE DATABASE priv_columns_applied;");
        var apply = await Cli.Wrap("mariadb")
            .WithArguments(["--no-defaults", "-h", Db.Host, "-P", Db.Port.ToString(), "-u", MariaDbServer.User, $"--password={MariaDbServer.Password}", "priv_columns_applied"])
            .WithStandardInputPipe(PipeSource.FromString(direct.StandardOutput))
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync();
        Assert.Contains("ERROR 1136", apply.StandardError);

        var failed = await AssertRefusedAsync(settings);

        Assert.Contains("SELECT on only some columns of `customers` (`id`, `name`)", failed.Message);
        Assert.Contains("could not be restored", failed.Message);
        Assert.Contains("GRANT SELECT ON `priv_columns`.* TO 'pcol'@'%'", failed.Message);
        await AssertFixedByTheNamedGrantsAsync(failed.Message, "'pcol'@'%'", settings, db);
    }

    [Fact]
    public async Task The_recommended_grant_backs_up_everything_and_the_restore_equals_the_original()
    {
        const string db = "priv_recommended";
        await SampleDatabase.CreateAsync(Db, db);
        var settings = await AsUserAsync("priv-recommended", "prec", db, RecommendedGrant);

        var result = await RunnerProcess.RunAsync("backup", settings);

        Assert.True(result.ExitCode == 0, result.ToString());
        await AssertRestoresEqualAsync(settings, db);
    }

    [Theory]
    [InlineData("table by table",
        """
        GRANT SHOW VIEW, TRIGGER, EVENT ON `{db}`.* TO {user}; GRANT SELECT ON mysql.proc TO {user};
        GRANT SELECT ON `{db}`.customers TO {user}; GRANT SELECT ON `{db}`.audit TO {user}; GRANT SELECT ON `{db}`.rich_customers TO {user};
        """)]
    [InlineData("global", "GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON *.* TO {user};")]
    [InlineData("default role",
        """
        DROP ROLE IF EXISTS priv_reader; DROP ROLE IF EXISTS priv_backup;
        CREATE ROLE priv_reader; GRANT SELECT ON `{db}`.* TO priv_reader;
        CREATE ROLE priv_backup; GRANT SHOW VIEW, TRIGGER, EVENT ON `{db}`.* TO priv_backup; GRANT SELECT ON mysql.proc TO priv_backup;
        GRANT priv_reader TO priv_backup; GRANT priv_backup TO {user}; SET DEFAULT ROLE priv_backup FOR {user};
        """)]
    [InlineData("global role",
        """
        DROP ROLE IF EXISTS priv_global; CREATE ROLE priv_global; GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON *.* TO priv_global;
        GRANT priv_global TO {user}; SET DEFAULT ROLE priv_global FOR {user};
        """)]
    [InlineData("public",
        """
        GRANT SHOW VIEW, TRIGGER, EVENT ON `{db}`.* TO {user}; GRANT SELECT ON mysql.proc TO {user};
        GRANT SELECT ON `{db}`.customers TO PUBLIC; GRANT SELECT ON `{db}`.audit TO {user}; GRANT SELECT ON `{db}`.rich_customers TO {user};
        """)]
    [InlineData("wildcard", "GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON `priv\\_pass\\_wild%`.* TO {user}; GRANT SELECT ON mysql.proc TO {user};")]
    [InlineData("all privileges", "GRANT ALL PRIVILEGES ON `{db}`.* TO {user}; GRANT SELECT ON `mysql`.`proc` TO {user};")]
    public async Task Privileges_that_suffice_pass_wherever_they_come_from(string source, string grants)
    {
        var db = "priv_pass_" + source.Replace(' ', '_');
        await SampleDatabase.CreateAsync(Db, db);
        var user = "ppass_" + source.Replace(' ', '_');
        var settings = await AsUserAsync("priv-pass-" + source.Replace(' ', '-'), user, db, grants);

        var result = await RunnerProcess.RunAsync("backup", settings);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(db, Assert.Single(result.Succeeded!.Databases).Database);
    }

    [Fact]
    public async Task A_role_that_is_granted_but_not_enabled_gives_nothing_and_is_refused()
    {
        const string db = "priv_role_off";
        await SampleDatabase.CreateAsync(Db, db);
        var settings = await AsUserAsync("priv-role-off", "proff", db,
            """
            GRANT SHOW VIEW, TRIGGER, EVENT ON `{db}`.* TO {user}; GRANT SELECT ON mysql.proc TO {user};
            DROP ROLE IF EXISTS priv_off; CREATE ROLE priv_off; GRANT SELECT ON `{db}`.* TO priv_off; GRANT priv_off TO {user};
            """);

        var failed = await AssertRefusedAsync(settings);

        Assert.Contains("no SELECT on `audit`, `customers`: the backup would hold no rows of them; no SELECT on the views `rich_customers`", failed.Message);
    }

    [Theory]
    [InlineData("trigger", "SELECT, SHOW VIEW, EVENT", "", "no TRIGGER on `audit`, `customers`", "GRANT TRIGGER ON `priv_need_trigger`.*", "customers_audit")]
    [InlineData("view", "SELECT, TRIGGER, EVENT", "", "no SHOW VIEW on `rich_customers`", "GRANT SHOW VIEW ON `priv_need_view`.*", null)]
    [InlineData("event", "SELECT, SHOW VIEW, TRIGGER", "", "no EVENT", "GRANT EVENT ON `priv_need_event`.*", null)]
    [InlineData("lock", "SELECT, SHOW VIEW, TRIGGER, EVENT", "--skip-single-transaction", "no LOCK TABLES", "GRANT LOCK TABLES ON `priv_need_lock`.*", null)]
    [InlineData("routines", "SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES", "", "Routines: no SELECT on `mysql`.`proc`", "GRANT SELECT ON `mysql`.`proc`", "add_customer")]
    public async Task Each_privilege_the_dump_options_need_is_named_with_its_grant(
        string what, string databaseGrant, string dumpArgs, string problem, string fix, string? silentlyMissing)
    {
        var db = "priv_need_" + what;
        await SampleDatabase.CreateAsync(Db, db);
        var user = "pneed_" + what;
        var grants = $"GRANT {databaseGrant} ON `{{db}}`.* TO {{user}};" + (what == "routines" ? "" : " GRANT SELECT ON mysql.proc TO {user};");
        var settings = await AsUserAsync("priv-need-" + what, user, db, grants);
        settings = settings with { Database = settings.Database with { DumpArgs = dumpArgs.Split(' ', StringSplitOptions.RemoveEmptyEntries) } };
        if (silentlyMissing is not null)
        {
            // Left to itself, the dump succeeds without them.
            var direct = await DumpDirectlyAsync(user, db);
            Assert.Equal(0, direct.ExitCode);
            Assert.DoesNotContain(silentlyMissing, direct.StandardOutput);
        }

        var failed = await AssertRefusedAsync(settings);

        Assert.Contains(problem, failed.Message);
        Assert.Contains($"{fix} TO '{user}'@'%'", failed.Message);
        await AssertFixedByTheNamedGrantsAsync(failed.Message, $"'{user}'@'%'", settings, db);
    }

    [Theory]
    [InlineData("triggers", "--skip-triggers", "SELECT, SHOW VIEW, EVENT", true)]
    [InlineData("routines", "--skip-routines", "SELECT, SHOW VIEW, TRIGGER, EVENT", false)]
    [InlineData("events", "--skip-events", "SELECT, SHOW VIEW, TRIGGER", true)]
    [InlineData("tables", "--ignore-table=priv_skip_tables.audit --ignore-table priv_skip_tables.rich_customers", "SHOW VIEW, TRIGGER, EVENT", true)]
    public async Task Leaving_out_on_purpose_what_the_user_cannot_read_passes(string what, string dumpArgs, string databaseGrant, bool procGranted)
    {
        var db = "priv_skip_" + what;
        await SampleDatabase.CreateAsync(Db, db);
        var grants = $"GRANT {databaseGrant} ON `{{db}}`.* TO {{user}};"
            + (procGranted ? " GRANT SELECT ON mysql.proc TO {user};" : "")
            + (what == "tables" ? " GRANT SELECT ON `{db}`.customers TO {user};" : "");
        var settings = await AsUserAsync("priv-skip-" + what, "pskip_" + what, db, grants);
        settings = settings with { Database = settings.Database with { DumpArgs = dumpArgs.Split(' ') } };

        var result = await RunnerProcess.RunAsync("backup", settings);

        Assert.True(result.ExitCode == 0, result.ToString());
    }

    /// <summary>Tables on which a user holds nothing are invisible to it: table grants alone cannot prove a complete dump.</summary>
    [Fact]
    public async Task Table_grants_without_any_database_privilege_are_refused_because_other_tables_are_invisible()
    {
        const string db = "priv_invisible";
        await CreateWithSecretsAsync(db);
        var settings = await AsUserAsync("priv-invisible", "pinv", db,
            """
            GRANT EVENT ON `{db}`.* TO {user}; GRANT SELECT ON mysql.proc TO {user};
            GRANT SELECT, TRIGGER ON `{db}`.customers TO {user}; GRANT SELECT, TRIGGER ON `{db}`.audit TO {user};
            GRANT SELECT, SHOW VIEW ON `{db}`.rich_customers TO {user};
            """);
        // Left to itself, the dump succeeds without a trace of `secrets`.
        var direct = await DumpDirectlyAsync("pinv", db);
        Assert.Equal(0, direct.ExitCode);
        Assert.DoesNotContain("secrets", direct.StandardOutput);

        var failed = await AssertRefusedAsync(settings);

        Assert.Contains("no table privilege on the database as a whole", failed.Message);
        Assert.Contains("GRANT SELECT, SHOW VIEW, TRIGGER ON `priv_invisible`.* TO 'pinv'@'%'", failed.Message);
        await AssertFixedByTheNamedGrantsAsync(failed.Message, "'pinv'@'%'", settings, db);
    }

    /// <summary>The server applies the grant that names the database exactly and ignores wildcard ones for it.</summary>
    [Fact]
    public async Task A_grant_naming_the_database_overrides_a_wildcard_grant_that_would_suffice()
    {
        const string db = "priv_shadowed";
        await SampleDatabase.CreateAsync(Db, db);
        var settings = await AsUserAsync("priv-shadowed", "pshadow", db,
            "GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON `priv\\_shadow%`.* TO {user}; GRANT LOCK TABLES ON `{db}`.* TO {user}; GRANT SELECT ON mysql.proc TO {user};");

        var failed = await AssertRefusedAsync(settings);

        Assert.Contains("GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON `priv_shadowed`.* TO 'pshadow'@'%'", failed.Message);
        await AssertFixedByTheNamedGrantsAsync(failed.Message, "'pshadow'@'%'", settings, db);
    }

    [Fact]
    public async Task A_listed_database_the_user_has_no_privilege_on_is_named_with_the_grant_that_shows_it()
    {
        await SampleDatabase.CreateAsync(Db, "priv_seen");
        await SampleDatabase.CreateAsync(Db, "priv_unseen");
        var settings = await AsUserAsync("priv-unseen", "punseen", "priv_seen", RecommendedGrant);
        settings = settings with { Database = settings.Database with { Databases = ["priv_seen", "priv_unseen"] } };

        var result = await RunnerProcess.RunAsync("backup", settings);

        Assert.Equal(FailureReason.DatabaseNotFound, result.Failed?.Reason);
        var message = result.Failed!.Message;
        Assert.Contains("'priv_unseen' does not exist on", message);
        Assert.Contains("or user 'punseen'@'%' has no privilege on it", message);
        Assert.Contains("MYSQL_DATABASES", message);
        Assert.Contains("GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON `priv_unseen`.* TO 'punseen'@'%'", message);
        Assert.Contains("sees are 'priv_seen'", message);
    }

    [Fact]
    public async Task Each_database_with_missing_privileges_is_named_with_its_own_grant()
    {
        await SampleDatabase.CreateAsync(Db, "priv_multi_a");
        await SampleDatabase.CreateAsync(Db, "priv_multi_b");
        await SampleDatabase.CreateAsync(Db, "priv_multi_ok");
        var settings = await AsUserAsync("priv-multi", "pmulti", "priv_multi_ok",
            """
            GRANT SELECT, SHOW VIEW, EVENT ON priv_multi_a.* TO {user};
            GRANT SELECT, SHOW VIEW, TRIGGER ON priv_multi_b.* TO {user};
            GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON priv_multi_ok.* TO {user};
            GRANT SELECT ON mysql.proc TO {user};
            """);
        settings = settings with { Database = settings.Database with { Databases = ["priv_multi_ok", "priv_multi_a", "priv_multi_b"] } };

        var failed = await AssertRefusedAsync(settings);

        Assert.Equal("priv_multi_a", failed.Database);
        Assert.Contains("Database 'priv_multi_a': no TRIGGER on `audit`, `customers`", failed.Message);
        Assert.Contains("Database 'priv_multi_b': no EVENT", failed.Message);
        Assert.DoesNotContain("priv_multi_ok'", failed.Message);
        Assert.Contains("GRANT TRIGGER ON `priv_multi_a`.* TO 'pmulti'@'%'; GRANT EVENT ON `priv_multi_b`.* TO 'pmulti'@'%'", failed.Message);
    }

    [Fact]
    public async Task Quotes_and_backticks_in_names_are_quoted_in_the_grant_that_fixes_them()
    {
        const string db = "priv_hostile";
        await SampleDatabase.CreateAsync(Db, db);
        await Db.ExecuteAsync("CREATE TABLE `it's a ``tick`` table` (id INT PRIMARY KEY, v VARCHAR(10)); INSERT INTO `it's a ``tick`` table` VALUES (1, 'x');", db);
        var settings = await AsUserAsync("priv-hostile", "o'brien@corp", db,
            """
            GRANT SHOW VIEW, TRIGGER, EVENT ON `{db}`.* TO {user}; GRANT SELECT ON mysql.proc TO {user};
            GRANT SELECT ON `{db}`.customers TO {user}; GRANT SELECT ON `{db}`.audit TO {user}; GRANT SELECT ON `{db}`.rich_customers TO {user};
            """);

        var failed = await AssertRefusedAsync(settings);

        Assert.Contains("no SELECT on `it's a ``tick`` table`", failed.Message);
        Assert.Contains("TO 'o''brien@corp'@'%'", failed.Message);
        await AssertFixedByTheNamedGrantsAsync(failed.Message, "'o''brien@corp'@'%'", settings, db);
    }

    [Fact]
    public async Task Thousands_of_tables_are_checked_at_once_and_the_message_stays_short()
    {
        const string db = "priv_many";
        await Db.ExecuteAsync($"DROP DATABASE IF EXISTS {db}; CREATE DATABASE {db};");
        await Db.ExecuteAsync(string.Concat(Enumerable.Range(1, 2000).Select(i => $"CREATE TABLE t{i:D4} (id INT PRIMARY KEY);")), db);
        var settings = await AsUserAsync("priv-many", "pmany", db, "GRANT SHOW VIEW, TRIGGER, EVENT ON `{db}`.* TO {user}; GRANT SELECT ON mysql.proc TO {user};");
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var failed = await AssertRefusedAsync(settings);

        Assert.Contains("no SELECT on `t0001`, `t0002`, `t0003`, `t0004`, `t0005`, `t0006`, `t0007`, `t0008`, `t0009`, `t0010` and 1990 more", failed.Message);
        Assert.True(failed.Message.Length < 1500, failed.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), clock.Elapsed.ToString());
    }

    /// <summary>The sample database and a table `secrets` with rows.</summary>
    private async Task CreateWithSecretsAsync(string db)
    {
        await SampleDatabase.CreateAsync(Db, db);
        await Db.ExecuteAsync("CREATE TABLE secrets (id INT PRIMARY KEY, code VARCHAR(20)); INSERT INTO secrets VALUES (1, 'alpha'), (2, 'beta');", db);
    }

    /// <summary>A fresh user with the grants ({user} and {db} replaced), and the settings of a backup of the database as that user.</summary>
    private async Task<RunnerSettings> AsUserAsync(string session, string user, string db, string grants)
    {
        var account = $"'{user.Replace("'", "''")}'@'%'";
        await Db.ExecuteAsync($"DROP USER IF EXISTS {account}; CREATE USER {account} IDENTIFIED BY '{Password}';");
        await Db.ExecuteAsync(grants.Replace("{user}", account).Replace("{db}", db));
        var settings = fixture.Settings(session, TestEnvironment.TempFolder("repo"), db);
        return settings with { Database = settings.Database with { User = user, Password = Password } };
    }

    /// <summary>mariadb-dump as the user with the runner's options, without the runner: what the dump does on its own.</summary>
    private async Task<BufferedCommandResult> DumpDirectlyAsync(string user, string db) =>
        await Cli.Wrap("mariadb-dump")
            .WithArguments(["--no-defaults", "-h", Db.Host, "-P", Db.Port.ToString(), "-u", user, $"--password={Password}",
                .. MySqlTools.SafeDumpOptions, "--", db])
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync();

    private static async Task<FailedEvent> AssertRefusedAsync(RunnerSettings settings)
    {
        var result = await RunnerProcess.RunAsync("backup", settings);
        Assert.True(result.Failed?.Reason == FailureReason.InsufficientPrivileges, result.ToString());
        Assert.Equal(ExitCodes.For(FailureReason.InsufficientPrivileges), result.ExitCode);
        Assert.DoesNotContain(result.Events, e => e is StartedEvent);
        if (File.Exists(Path.Combine(settings.Repository.Path!, "config")))
        {
            Assert.Empty(await ResticRepository.SnapshotsAsync(settings.Repository.Path!, RunnerFixture.RepositoryPassword));
        }
        return result.Failed!;
    }

    /// <summary>Runs, as the administrator, exactly the GRANT statements the message names; the backup then passes and restores whole.</summary>
    private async Task AssertFixedByTheNamedGrantsAsync(string message, string account, RunnerSettings settings, string db)
    {
        var statements = Regex.Matches(message, "GRANT .+? TO " + Regex.Escape(account)).Select(m => m.Value).ToList();
        Assert.NotEmpty(statements);
        await Db.ExecuteAsync(string.Join(";\n", statements) + ";");

        var result = await RunnerProcess.RunAsync("backup", settings with { Session = settings.Session with { Name = settings.Session.Name + "-fixed" } });

        Assert.True(result.ExitCode == 0, result.ToString());
        await AssertRestoresEqualAsync(settings with { Session = settings.Session with { Name = settings.Session.Name + "-fixed" } }, db);
    }

    /// <summary>Restores the session's snapshot (as the administrator) into a copy and compares it with the original.</summary>
    private async Task AssertRestoresEqualAsync(RunnerSettings backup, string db)
    {
        var restore = fixture.Settings(backup.Session.Name!, backup.Repository) with
        {
            Restore = new() { FromSession = backup.Session.Name, Rename = new Dictionary<string, string> { [db] = db + "_copy" } },
        };
        await Db.ExecuteAsync($"DROP DATABASE IF EXISTS `{db}_copy`");

        var result = await RunnerProcess.RunAsync("restore", restore);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(await SampleDatabase.FingerprintAsync(Db, db), await SampleDatabase.FingerprintAsync(Db, db + "_copy"));
    }
}
