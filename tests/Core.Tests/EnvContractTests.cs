using Serverless.Backup.Core.Environment;

namespace Serverless.Backup.Core.Tests;

public sealed class EnvContractTests
{
    [Fact]
    public void Settings_written_to_the_environment_read_back_equal()
    {
        var settings = new RunnerSettings
        {
            Session = new() { Namespace = "prod", Name = "shop-20261124t0100", Configuration = "shop", RepositoryName = "blob" },
            Database = new() { Host = "mysql.prod.svc", Port = 3307, User = "root", Password = "p@ss word", Databases = ["shop", "crm"], DumpArgs = ["--quick", "--max-allowed-packet=64M"], WaitTimeout = TimeSpan.FromSeconds(42) },
            Repository = new() { Backend = RepositoryBackend.Azure, AzureAccountName = "acct", AzureContainer = "backups", Prefix = "mysql/prod", Password = "secret" },
            Restore = new() { Snapshots = ["latest"], Rename = new Dictionary<string, string> { ["shop"] = "shop_copy" } },
            Reporting = new() { WebhookUrl = "https://fn.example/api/events", WebhookToken = "t", ProgressInterval = TimeSpan.FromSeconds(7) },
        };

        var environment = EnvContract.ToEnvironment(settings).ToDictionary(kv => kv.Key, kv => kv.Value);
        var back = EnvContract.FromEnvironment<RunnerSettings>(environment);

        Assert.Equal(environment, EnvContract.ToEnvironment(back).ToDictionary(kv => kv.Key, kv => kv.Value));
        Assert.Equal(["shop", "crm"], back.Database.Databases);
        Assert.Equal(["--quick", "--max-allowed-packet=64M"], back.Database.DumpArgs);
        Assert.Equal("shop_copy", back.Restore.Rename["shop"]);
        Assert.Equal(RepositoryBackend.Azure, back.Repository.Backend);
        Assert.Equal(TimeSpan.FromSeconds(42), back.Database.WaitTimeout);
    }

    [Fact]
    public void Every_variable_name_is_unique()
    {
        var names = EnvContract.Variables<RunnerSettings>().Select(v => v.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
    }

    [Fact]
    public void A_malformed_value_names_the_variable_and_hides_secrets()
    {
        var environment = new Dictionary<string, string> { ["MYSQL_PORT"] = "abc", ["REPOSITORY_BACKEND"] = "ftp" };
        var error = Assert.Throws<SettingsException>(() => EnvContract.FromEnvironment<RunnerSettings>(environment));
        Assert.Contains(error.Errors, e => e.StartsWith("MYSQL_PORT='abc' is not valid", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("REPOSITORY_BACKEND='ftp' is not valid", StringComparison.Ordinal) && e.Contains("local, azure or s3"));
    }

    [Fact]
    public void Missing_required_settings_are_each_named()
    {
        var errors = new RunnerSettings().Validate(RunnerVerb.Backup);
        Assert.Contains(errors, e => e.StartsWith("BACKUP_SESSION is not set", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("MYSQL_HOST is not set", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("RESTIC_PASSWORD is not set", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("REPOSITORY_BACKEND is not set", StringComparison.Ordinal));
    }
}
