using System.Diagnostics;
using Serverless.Backup.Runner.Privileges;

namespace Serverless.Backup.Runner.Tests.Privileges;

/// <summary>
/// The rules of the check on servers this machine cannot run (MySQL, newer MariaDB), and its cost: the runner tests
/// in <see cref="PrivilegeCheckTests"/> cover MariaDB 10.11 end to end.
/// </summary>
public sealed class PrivilegeRequirementsTests
{
    private static readonly DumpOptions Defaults = DumpOptions.From(Database.MySqlTools.SafeDumpOptions);

    private static IReadOnlyList<Shortfall> Check(string version, IEnumerable<string> grantLines, IReadOnlyList<DumpObject> objects, DumpOptions? options = null)
    {
        var server = ServerKind.Parse(version);
        var grants = new AccountGrants(grantLines.SelectMany(l => GrantParser.Parse(l)!).ToList(), server, ignoreCase: false, account: "backup@%");
        return new PrivilegeRequirements(grants, server, options ?? Defaults, ignoreCase: false).Check(["shop"], objects);
    }

    private static readonly DumpObject[] Shop = [new("shop", "orders", "BASE TABLE"), new("shop", "totals", "VIEW")];

    [Theory]
    [InlineData("8.0.36", "GRANT SHOW_ROUTINE ON *.* TO 'backup'@'%'")]
    [InlineData("8.0.19", "GRANT SELECT ON *.* TO 'backup'@'%'")]
    [InlineData("5.7.44-log", "GRANT SELECT ON `mysql`.`proc` TO 'backup'@'%'")]
    [InlineData("10.11.19-MariaDB", "GRANT SELECT ON `mysql`.`proc` TO 'backup'@'%'")]
    [InlineData("11.4.2-MariaDB", "GRANT SHOW CREATE ROUTINE ON `shop`.* TO 'backup'@'%'")]
    public void Reading_routines_is_asked_for_with_the_privilege_of_each_server(string version, string grant)
    {
        var shortfalls = Check(version, ["GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON `shop`.* TO `backup`@`%`"], Shop);

        var routines = Assert.Single(shortfalls);
        Assert.Equal("routines", routines.Subject);
        Assert.Equal(grant, Assert.Single(routines.Grants).ToSql("'backup'@'%'"));
    }

    [Theory]
    [InlineData("8.0.36", "GRANT SHOW_ROUTINE ON *.* TO `backup`@`%`")]
    [InlineData("11.4.2-MariaDB", "GRANT SHOW CREATE ROUTINE ON `shop`.* TO `backup`@`%`")]
    [InlineData("11.4.2-MariaDB", "GRANT SELECT ON `mysql`.`proc` TO `backup`@`%`")]
    public void The_routine_privilege_of_each_server_suffices(string version, string routineGrant)
    {
        Assert.Empty(Check(version, ["GRANT SELECT, SHOW VIEW, TRIGGER, EVENT ON `shop`.* TO `backup`@`%`", routineGrant], Shop));
    }

    [Fact]
    public void A_global_grant_taken_back_from_the_database_by_a_partial_revoke_is_missing_there()
    {
        var shortfalls = Check("8.0.36", ["GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, SHOW_ROUTINE ON *.* TO `backup`@`%`", "REVOKE SELECT ON `shop`.* FROM `backup`@`%`"], Shop);

        Assert.Equal(["no SELECT on `orders`: the backup would hold no rows of them", "no SELECT on the views `totals`: their dump would fail"], Assert.Single(shortfalls).Problems);
    }

    [Fact]
    public void Thousands_of_tables_granted_one_by_one_all_pass_the_check()
    {
        var objects = Enumerable.Range(0, 5000).Select(i => new DumpObject("shop", $"t{i}", "BASE TABLE")).ToList();
        var lines = objects.Select(o => $"GRANT SELECT, TRIGGER ON `shop`.`{o.Name}` TO `backup`@`%`")
            .Append("GRANT SHOW VIEW, EVENT ON `shop`.* TO `backup`@`%`").Append("GRANT SELECT ON `mysql`.`proc` TO `backup`@`%`").ToList();
        // How long it takes is for a benchmark, not a test: a busy machine would fail a time limit.
        Assert.Empty(Check("10.11.19-MariaDB", lines, objects));
    }

    [Fact]
    public void Without_data_no_SELECT_is_needed_for_rows_but_still_for_views()
    {
        var shortfalls = Check("10.11.19-MariaDB", ["GRANT SHOW VIEW, TRIGGER, EVENT ON `shop`.* TO `backup`@`%`", "GRANT SELECT ON `mysql`.`proc` TO `backup`@`%`"],
            Shop, DumpOptions.From([.. Database.MySqlTools.SafeDumpOptions, "--no-data"]));

        Assert.Equal("no SELECT on the views `totals`: their dump would fail", Assert.Single(Assert.Single(shortfalls).Problems));
    }
}
