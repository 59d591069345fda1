using Serverless.Backup.Core.Environment;
using Serverless.Backup.Control.Resources;

using Serverless.Backup.Core;

namespace Serverless.Backup.Functions.Tests.Resources;

/// <summary>What a restore may name and write into, in the RestoreSession resource and in the runner's settings.</summary>
public sealed class RestoreTargetsTests
{
    private static List<string> Validate(List<string>? databases = null, Dictionary<string, string>? rename = null) =>
        ResourceValidation.Validate(new RestoreSession
        {
            Metadata = new() { Name = "r1" },
            Spec = new() { Repository = new() { Name = "blob" }, Target = new() { Ref = new() { Name = "db" } }, Databases = databases, Rename = rename },
        });

    [Fact]
    public void Any_name_the_server_accepts_can_be_restored_and_renamed() =>
        Assert.Empty(Validate(["weird db ☃", "a,b", "a=b", " leading", "a`b"], new() { ["weird db ☃"] = "copy of ☃ (2)", ["a,b"] = "a.b/c" }));

    [Theory]
    [InlineData("mysql")]
    [InlineData("MySQL")]
    [InlineData("sys")]
    [InlineData("Sys")]
    [InlineData("performance_schema")]
    [InlineData("INFORMATION_SCHEMA")]
    public void A_rename_into_one_of_the_servers_own_databases_is_refused(string target)
    {
        var error = Assert.Single(Validate(rename: new() { ["shop"] = target }));

        Assert.StartsWith($"spec.rename maps 'shop' to '{target}', one of the server's own databases", error);
        Assert.Contains("choose another target name", error);
    }

    [Fact]
    public void A_server_database_restored_under_its_own_name_is_refused_and_a_renamed_one_is_not()
    {
        var error = Assert.Single(Validate(["mysql", "shop"]));
        Assert.StartsWith("spec.databases has 'mysql', which would be restored into the server's own 'mysql' database: rename it with spec.rename", error);

        Assert.Empty(Validate(["mysql", "shop"], new() { ["mysql"] = "mysql_restored" }));
    }

    [Fact]
    public void Two_databases_restored_into_one_are_refused()
    {
        Assert.Contains(Validate(rename: new() { ["a"] = "same", ["b"] = "same" }), e => e == "spec.rename restores 'a' and 'b' into the same database 'same': give each its own target");
        Assert.Contains(Validate(["a", "b"], new() { ["a"] = "b" }), e => e.StartsWith("spec.rename restores 'a' and 'b' into the same database 'b'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("")]
    [InlineData("trailing ")]
    [InlineData("rocket 🚀")]
    public void A_malformed_name_anywhere_is_refused_with_the_rule(string name)
    {
        Assert.Contains(Validate([name]), e => e.StartsWith("spec.databases has", StringComparison.Ordinal) && e.Contains(DatabaseNames.Rule));
        Assert.Contains(Validate(rename: new() { ["y"] = name }), e => e.StartsWith("spec.rename has", StringComparison.Ordinal));
    }

    [Fact]
    public void The_runner_settings_apply_the_same_rules_naming_their_variables()
    {
        var settings = new RunnerSettings { Restore = new() { Databases = ["Mysql", "shop"], Rename = new Dictionary<string, string> { ["shop"] = "SYS" } } };

        var errors = settings.Validate(RunnerVerb.Restore);

        Assert.Contains(errors, e => e.StartsWith("RESTORE_RENAME maps 'shop' to 'SYS', one of the server's own databases", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("RESTORE_DATABASES has 'Mysql', which would be restored into the server's own 'Mysql' database: rename it with RESTORE_RENAME", StringComparison.Ordinal));
    }

    [Fact]
    public void A_backup_configuration_can_name_any_database_the_server_accepts_and_the_servers_own()
    {
        var configuration = new BackupConfiguration
        {
            Metadata = new() { Name = "shop" },
            Spec = new() { Schedule = "0 1 * * *", Repository = new() { Name = "blob" }, Target = new() { Ref = new() { Name = "db" }, Databases = ["weird db ☃", "mysql", "a,b"] } },
        };
        Assert.Empty(ResourceValidation.Validate(configuration));

        configuration.Spec = configuration.Spec with { Target = configuration.Spec.Target with { Databases = ["ok", "trailing "] } };
        Assert.Contains(ResourceValidation.Validate(configuration), e => e.StartsWith("spec.target.databases has 'trailing ', which is not a database name: it ends with a space", StringComparison.Ordinal));
    }
}
