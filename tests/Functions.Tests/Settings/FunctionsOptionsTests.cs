using Serverless.Backup.Core.Environment;
using Serverless.Backup.Functions.Settings;

namespace Serverless.Backup.Functions.Tests.Settings;

public sealed class FunctionsOptionsTests
{
    private static FunctionsOptions Bind(Dictionary<string, string> settings) => FunctionsOptions.Bind(n => settings.GetValueOrDefault(n));

    [Fact]
    public void Folder_mode_is_the_default_and_reads_its_settings()
    {
        var options = Bind(new()
        {
            ["BACKUP_RESOURCES_FOLDER"] = "resources",
            ["BACKUP_RUNNER_COMMAND"] = "backup-runner",
            ["BACKUP_WEBHOOK_MASTER_KEY"] = new string('k', 32),
            ["BACKUP_API_KEY"] = "key",
            ["BACKUP_TIME_ZONE"] = "Europe/Berlin",
        });
        Assert.Equal(ClusterMode.Folder, options.Cluster);
        Assert.True(options.Standalone);
        Assert.Equal("Europe/Berlin", options.TimeZone);
    }

    [Fact]
    public void Every_bad_setting_is_reported_at_once_by_name()
    {
        var e = Assert.Throws<SettingsException>(() => Bind(new()
        {
            ["BACKUP_CLUSTER"] = "aks",
            ["BACKUP_AKS_API_SERVER"] = "http://plain",
            ["BACKUP_TIME_ZONE"] = "Mars/Base",
            ["BACKUP_WEBHOOK_MASTER_KEY"] = "short",
            ["FUNCTIONS_CUSTOMHANDLER_PORT"] = "x",
        }));
        Assert.Contains(e.Errors, m => m.StartsWith("BACKUP_AKS_API_SERVER='http://plain'", StringComparison.Ordinal) && m.Contains("https"));
        Assert.Contains(e.Errors, m => m.StartsWith("BACKUP_TIME_ZONE='Mars/Base'", StringComparison.Ordinal));
        Assert.Contains(e.Errors, m => m.StartsWith("BACKUP_WEBHOOK_MASTER_KEY is too short", StringComparison.Ordinal));
        Assert.Contains(e.Errors, m => m.StartsWith("BACKUP_RUNNER_IMAGE is not set", StringComparison.Ordinal));
        Assert.Contains(e.Errors, m => m.StartsWith("BACKUP_WEBHOOK_BASE_URL is not set", StringComparison.Ordinal));
        Assert.Contains(e.Errors, m => m.StartsWith("FUNCTIONS_CUSTOMHANDLER_PORT='x'", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_cluster_mode_lists_the_valid_ones()
    {
        var e = Assert.Throws<SettingsException>(() => Bind(new() { ["BACKUP_CLUSTER"] = "docker" }));
        Assert.Contains(e.Errors, m => m.Contains("BACKUP_CLUSTER='docker'") && m.Contains("folder, incluster, kubeconfig or aks"));
    }

    [Fact]
    public void Standalone_mode_needs_an_api_key()
    {
        var e = Assert.Throws<SettingsException>(() => Bind(new()
        {
            ["BACKUP_CLUSTER"] = "incluster",
            ["BACKUP_RUNNER_IMAGE"] = "img",
            ["BACKUP_WEBHOOK_BASE_URL"] = "https://app.example.net",
            ["BACKUP_WEBHOOK_MASTER_KEY"] = new string('k', 32),
        }));
        Assert.Contains(e.Errors, m => m.StartsWith("BACKUP_API_KEY is not set", StringComparison.Ordinal));
    }
}
