using System.Diagnostics;
using Serverless.Backup.Runner.Privileges;

namespace Serverless.Backup.Runner.Tests.Privileges;

/// <summary>SHOW GRANTS lines as MariaDB and MySQL print them, and what each grants where.</summary>
public sealed class GrantParserTests
{
    [Fact]
    public void A_database_level_grant_gives_each_privilege_on_the_pattern()
    {
        var grants = GrantParser.Parse("GRANT SELECT, LOCK TABLES, SHOW VIEW, EVENT, TRIGGER ON `shop`.* TO `backup`@`%`")!;

        Assert.Equal(["SELECT", "LOCK TABLES", "SHOW VIEW", "EVENT", "TRIGGER"], grants.Select(g => g.Privilege));
        Assert.All(grants, g => Assert.Equal((GrantLevel.Database, "shop", (string?)null, "backup@%"), (g.Level, g.Database, g.Table, g.Grantee)));
    }

    [Fact]
    public void Column_lists_quoted_names_and_the_password_clause_are_read()
    {
        var grants = GrantParser.Parse("GRANT SELECT, SELECT (`id`, `we``ird col`), TRIGGER ON `shop`.`it's a ``t``` TO `o'q@x`@`%` IDENTIFIED BY PASSWORD '*D82'")!;

        Assert.Equal(3, grants.Count);
        Assert.Equal((GrantLevel.Table, "it's a `t`"), (grants[0].Level, grants[0].Table));
        Assert.Equal(GrantLevel.Columns, grants[1].Level);
        Assert.Equal(["id", "we`ird col"], grants[1].Columns);
        Assert.Equal("o'q@x@%", grants[2].Grantee);
    }

    [Theory]
    [InlineData("GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION", "ALL", GrantLevel.Global)]
    [InlineData("GRANT SELECT ON `shop`.`secret` TO PUBLIC", "SELECT", GrantLevel.Table)]
    [InlineData("GRANT BACKUP_ADMIN,SHOW_ROUTINE ON *.* TO `u`@`%`", "BACKUP_ADMIN", GrantLevel.Global)]
    [InlineData("GRANT SELECT ON \"shop\".* TO \"u\"@\"%\"", "SELECT", GrantLevel.Database)]
    [InlineData("GRANT SELECT ON shop.* TO u@%", "SELECT", GrantLevel.Database)]
    [InlineData("GRANT SELECT ON TABLE `shop`.`a` TO `u`@`%`", "SELECT", GrantLevel.Table)]
    [InlineData("GRANT SHOW CREATE ROUTINE ON `shop`.* TO `bk`", "SHOW CREATE ROUTINE", GrantLevel.Database)]
    public void Grants_of_both_servers_are_read(string line, string first, GrantLevel level)
    {
        var grant = GrantParser.Parse(line)![0];

        Assert.Equal((first, level), (grant.Privilege, grant.Level));
    }

    [Fact]
    public void A_partial_revoke_of_MySQL_is_a_revoke_on_its_database()
    {
        var grant = Assert.Single(GrantParser.Parse("REVOKE SELECT ON `mysql`.* FROM `u`@`%`")!);

        Assert.True(grant.Revoke);
        Assert.Equal("mysql", grant.Database);
    }

    [Theory]
    [InlineData("GRANT `bk` TO `ru`@`%`")]
    [InlineData("GRANT `r1`@`%`,`r2`@`%` TO `u`@`%`")]
    [InlineData("GRANT bk TO ru@%")]
    [InlineData("GRANT PROXY ON ''@'%' TO 'root'@'localhost' WITH GRANT OPTION")]
    [InlineData("GRANT EXECUTE, ALTER ROUTINE ON PROCEDURE `shop`.`p` TO `u`@`%`")]
    [InlineData("GRANT EXECUTE ON FUNCTION `shop`.`f` TO `u`@`%`")]
    [InlineData("GRANT EXECUTE ON PACKAGE BODY `shop`.`pk` TO `u`@`%`")]
    [InlineData("SET DEFAULT ROLE `bk` FOR `ru`@`%`")]
    public void Lines_that_grant_nothing_on_data_give_nothing(string line)
    {
        Assert.Empty(GrantParser.Parse(line)!);
    }

    [Theory]
    [InlineData("GRANT SELECT ON `shop")]
    [InlineData("GRANT SELECT ON `shop`.* TO")]
    [InlineData("GRANT SELECT (`id` ON `shop`.`a` TO `u`@`%`")]
    [InlineData("GRANT SELECT ON `shop`.`a`")]
    [InlineData("GRANT SELECT ON * TO `u`@`%`")]
    [InlineData("GRANT")]
    [InlineData("GRANT ,, ON *.* TO `u`@`%`")]
    public void A_line_it_cannot_read_is_reported_as_such_rather_than_read_as_fewer_privileges(string line)
    {
        Assert.Null(GrantParser.Parse(line));
    }

    [Theory]
    [InlineData("sh%", "shop", true)]
    [InlineData("sho_", "shop", true)]
    [InlineData("sho_", "shopping", false)]
    [InlineData("my\\_db", "my_db", true)]
    [InlineData("my\\_db", "myXdb", false)]
    [InlineData("%", "anything", true)]
    [InlineData("Shop", "shop", false)]
    public void Database_patterns_match_as_the_server_matches_them(string pattern, string name, bool matches)
    {
        Assert.Equal(matches, SqlText.PatternMatches(pattern, name, ignoreCase: false));
    }

    [Fact]
    public void A_hostile_pattern_is_matched_at_once()
    {
        var clock = Stopwatch.StartNew();

        Assert.False(SqlText.PatternMatches(string.Concat(Enumerable.Repeat("%a", 40)) + "b", new string('a', 64), ignoreCase: false));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), clock.Elapsed.ToString());
    }

    [Fact]
    public void Names_in_suggested_grants_are_quoted_and_a_database_grant_names_only_its_database()
    {
        Assert.Equal("`we``ird`.`it's`", SqlText.TableTarget("we`ird", "it's"));
        // As people write it: escaping `_` would make a more specific grant that hides the user's `my_db`.* grant.
        Assert.Equal("`my_db`.*", SqlText.DatabaseTarget("my_db"));
        Assert.Equal("`a\\\\b`.*", SqlText.DatabaseTarget("a\\b"));
        Assert.Equal("'o''brien@corp'@'10.%'", SqlText.Account("o'brien@corp", "10.%"));
    }

    /// <summary>Pairs of database grants of one account, and whether the first one's SELECT applied to `shop`, as MariaDB 10.11 decided.</summary>
    [Theory]
    [InlineData("sh%", "s_op", false)]
    [InlineData("s_op", "sh%", true)]
    [InlineData("sh%", "shop", false)]
    [InlineData("sho_", "sh%", true)]
    [InlineData("sh%p", "sh%", true)]
    [InlineData("s%", "sh_p", false)]
    [InlineData("%hop", "sh%", true)]
    [InlineData("s%p", "sh%", true)]
    [InlineData("sh%", "s%p", false)]
    [InlineData("sh_p", "sho%", true)]
    [InlineData("shop", "shop%", true)]
    [InlineData("shop%", "shop", false)]
    [InlineData("sh\\op", "shop%", true)]
    [InlineData("sh%", "sh__", false)]
    [InlineData("shop", "_hop", true)]
    [InlineData("_hop", "shop", false)]
    [InlineData("s_o%", "sh_%", true)]
    [InlineData("sh_%", "s_o%", false)]
    [InlineData("sh%%", "s%", true)]
    public void Of_several_database_grants_of_an_account_only_the_one_the_server_picks_applies(string select, string lockTables, bool applies)
    {
        var grants = new AccountGrants(
            [new Grant("wt@%", "SELECT", GrantLevel.Database, select), new Grant("wt@%", "LOCK TABLES", GrantLevel.Database, lockTables)],
            ServerKind.Parse("10.11.19-MariaDB-0+deb12u1"), ignoreCase: false, account: "wt@%");

        Assert.Equal(applies, grants.Holds("SELECT", "shop"));
        Assert.Equal(applies ? select : lockTables, grants.OwnPattern("shop"));
    }

    [Fact]
    public void Grants_of_roles_and_PUBLIC_add_to_the_accounts_own()
    {
        var grants = new AccountGrants(
            [
                new Grant("wt@%", "LOCK TABLES", GrantLevel.Database, "shop"),
                new Grant("bk", "SELECT", GrantLevel.Database, "sh%"),
                new Grant("PUBLIC", "TRIGGER", GrantLevel.Table, "shop", "a"),
            ],
            ServerKind.Parse("10.11.19-MariaDB"), ignoreCase: false, account: "wt@%");

        Assert.True(grants.Holds("SELECT", "shop", "a"));
        Assert.True(grants.Holds("TRIGGER", "shop", "a"));
        Assert.False(grants.Holds("TRIGGER", "shop", "b"));
        Assert.Equal("shop", grants.OwnPattern("shop"));
    }

    [Fact]
    public void A_partial_revoke_takes_a_global_privilege_away_from_its_database_only()
    {
        var grants = new AccountGrants(
            [new Grant("u@%", "SELECT", GrantLevel.Global), new Grant("u@%", "SELECT", GrantLevel.Database, "hr") { Revoke = true }],
            ServerKind.Parse("8.0.36"), ignoreCase: false, account: "u@%");

        Assert.True(grants.Holds("SELECT", "shop", "a"));
        Assert.False(grants.Holds("SELECT", "hr", "a"));
    }

    [Fact]
    public void Dump_options_are_read_as_mysqldump_reads_them_the_last_one_winning()
    {
        var options = DumpOptions.From(
            ["--single-transaction", "--routines", "--triggers", "--events", "--skip-routines", "--single_transaction=OFF",
             "--loose-disable-triggers", "-E", "--ignore-table", "shop.logs", "--ignore-table-data=shop.big.table"]);

        Assert.False(options.Routines);
        Assert.False(options.Triggers);
        Assert.True(options.Events);
        Assert.True(options.TakesTableLocks);
        Assert.Equal([("shop", "logs")], options.IgnoredTables);
        Assert.Equal([("shop", "big.table")], options.IgnoredTableData);
        Assert.False(DumpOptions.From(["--skip-single-transaction", "--skip-opt"]).TakesTableLocks);
        Assert.False(DumpOptions.From(["--skip-single-transaction", "-x"]).TakesTableLocks);
    }
}
