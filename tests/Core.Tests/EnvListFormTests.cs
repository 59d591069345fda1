using Serverless.Backup.Core.Environment;

namespace Serverless.Backup.Core.Tests;

/// <summary>
/// Lists and maps in the environment: the comma form for plain items, a JSON array or object for items the comma
/// form cannot hold (a comma, a '=' in a source name, a space at either end, a leading '[').
/// </summary>
public sealed class EnvListFormTests
{
    private static Dictionary<string, string> Environment(RunnerSettings settings) =>
        EnvContract.ToEnvironment(settings).ToDictionary(kv => kv.Key, kv => kv.Value);

    [Fact]
    public void Plain_names_are_written_in_the_comma_form_as_before()
    {
        var environment = Environment(new RunnerSettings
        {
            Database = new() { Databases = ["shop", "crm", "weird db ☃"] },
            Restore = new() { Rename = new Dictionary<string, string> { ["shop"] = "shop_copy", ["crm"] = "crm copy" } },
        });

        Assert.Equal("shop,crm,weird db ☃", environment["MYSQL_DATABASES"]);
        Assert.Equal("shop=shop_copy,crm=crm copy", environment["RESTORE_RENAME"]);
    }

    [Theory]
    [InlineData("a,b")]
    [InlineData(" leading")]
    [InlineData("[bracket")]
    [InlineData("{brace")]
    [InlineData("trailing\u00a0")]
    public void A_name_the_comma_form_cannot_hold_is_written_as_json_and_reads_back_equal(string name)
    {
        var settings = new RunnerSettings
        {
            Database = new() { Databases = [name, "shop"] },
            Restore = new() { Databases = [name], Rename = new Dictionary<string, string> { [name] = name + " copy", ["a=b"] = "c" } },
        };

        var environment = Environment(settings);
        var back = EnvContract.FromEnvironment<RunnerSettings>(environment);

        Assert.StartsWith("[", environment["MYSQL_DATABASES"]);
        Assert.StartsWith("{", environment["RESTORE_RENAME"]);
        Assert.Equal([name, "shop"], back.Database.Databases);
        Assert.Equal([name], back.Restore.Databases);
        Assert.Equal(name + " copy", back.Restore.Rename[name]);
        Assert.Equal("c", back.Restore.Rename["a=b"]);
    }

    [Theory]
    [InlineData("quote\"and\\backslash")]
    [InlineData("line\nbreak")]
    [InlineData("a=b")]
    [InlineData("inner  spaces")]
    public void A_name_the_comma_form_holds_stays_plain_and_reads_back_equal(string name)
    {
        var environment = Environment(new RunnerSettings { Database = new() { Databases = [name, "shop"] } });

        Assert.Equal(name + ",shop", environment["MYSQL_DATABASES"]);
        Assert.Equal([name, "shop"], EnvContract.FromEnvironment<RunnerSettings>(environment).Database.Databases);
    }

    [Fact]
    public void A_source_name_with_an_equals_sign_makes_the_map_json()
    {
        var environment = Environment(new RunnerSettings { Restore = new() { Rename = new Dictionary<string, string> { ["a=b"] = "c" } } });

        Assert.Equal("{\"a=b\":\"c\"}", environment["RESTORE_RENAME"]);
    }

    [Fact]
    public void Hand_written_json_is_read_with_unicode_escapes_and_spaces()
    {
        var settings = EnvContract.FromEnvironment<RunnerSettings>(new Dictionary<string, string>
        {
            ["MYSQL_DATABASES"] = """  [ "weird db \u2603", "a,b" ]  """,
            ["RESTORE_RENAME"] = """{"weird db ☃": "copy, with comma"}""",
        });

        Assert.Equal(["weird db ☃", "a,b"], settings.Database.Databases);
        Assert.Equal("copy, with comma", settings.Restore.Rename["weird db ☃"]);
    }

    [Theory]
    [InlineData("MYSQL_DATABASES", "[\"unclosed", "a JSON array of strings")]
    [InlineData("MYSQL_DATABASES", "[1, 2]", "a JSON array of strings")]
    [InlineData("MYSQL_DATABASES", "[\"a\", null]", "null is not a string")]
    [InlineData("RESTORE_DATABASES", "[{\"a\": 1}]", "a JSON array of strings")]
    [InlineData("RESTORE_RENAME", "{\"a\": 1}", "a JSON object of strings")]
    [InlineData("RESTORE_RENAME", "{\"a\": null}", "null is not a string")]
    [InlineData("RESTORE_RENAME", "{\"a\": \"b\"", "a JSON object of strings")]
    [InlineData("RESTORE_RENAME", "[\"a\"]", "pairs like old=new")]
    public void Malformed_json_names_the_variable_and_the_form(string variable, string value, string expected)
    {
        var error = Assert.Throws<SettingsException>(() => EnvContract.FromEnvironment<RunnerSettings>(new Dictionary<string, string> { [variable] = value }));

        var message = Assert.Single(error.Errors);
        Assert.StartsWith($"{variable}='{value}' is not valid", message);
        Assert.Contains(expected, message);
        Assert.Contains("JSON", message);
    }

    [Fact]
    public void The_old_comma_forms_still_read_as_before()
    {
        var settings = EnvContract.FromEnvironment<RunnerSettings>(new Dictionary<string, string>
        {
            ["MYSQL_DATABASES"] = "shop, crm ,",
            ["RESTORE_RENAME"] = "shop=shop_copy, crm = crm_copy",
        });

        Assert.Equal(["shop", "crm"], settings.Database.Databases);
        Assert.Equal(new Dictionary<string, string> { ["shop"] = "shop_copy", ["crm"] = "crm_copy" }, settings.Restore.Rename);
    }

    [Fact]
    public void Overwrite_is_off_unless_set()
    {
        Assert.False(EnvContract.FromEnvironment<RunnerSettings>(new Dictionary<string, string>()).Restore.Overwrite);
        var on = new RunnerSettings { Restore = new() { Overwrite = true } };
        Assert.Equal("true", Environment(on)["RESTORE_OVERWRITE"]);
        Assert.True(EnvContract.FromEnvironment<RunnerSettings>(Environment(on)).Restore.Overwrite);
    }
}
