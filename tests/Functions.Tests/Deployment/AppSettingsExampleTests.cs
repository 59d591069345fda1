using System.Text.Json.Nodes;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Control;
using Serverless.Backup.Control.Observability;
using Serverless.Backup.Control.Settings;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests.Deployment;

public sealed class AppSettingsExampleTests
{
    private static readonly JsonObject Example = JsonNode.Parse(File.ReadAllText(Path.Combine(TestEnvironment.RepoRoot, "local.settings.json.example")))!.AsObject();

    [Fact]
    public void Every_setting_the_app_reads_is_in_the_example_with_a_description()
    {
        var values = Example["Values"]!.AsObject();
        var comments = Example["_comments"]!.AsObject();
        var missing = ControlPlaneServices.SettingNames
            .Where(name => !values.ContainsKey(name) || comments[name]?.GetValue<string>() is not { Length: > 20 })
            .ToList();

        Assert.True(missing.Count == 0, "local.settings.json.example lacks a value or a _comments entry for: " + string.Join(", ", missing));
    }

    [Fact]
    public void The_example_names_no_setting_the_app_does_not_read_and_runs_as_an_isolated_worker()
    {
        var known = ControlPlaneServices.SettingNames.Concat(["FUNCTIONS_WORKER_RUNTIME", "AzureWebJobsStorage", TelemetryServices.ConnectionStringSetting]).ToHashSet();
        var values = Example["Values"]!.AsObject();

        Assert.DoesNotContain(values.Select(kv => kv.Key), k => !known.Contains(k));
        Assert.DoesNotContain(Example["_comments"]!.AsObject().Select(kv => kv.Key), k => k != "_" && !known.Contains(k));
        Assert.Equal("dotnet-isolated", values["FUNCTIONS_WORKER_RUNTIME"]!.GetValue<string>());
    }

    [Fact]
    public void Secrets_in_the_example_are_placeholders_and_the_comment_says_to_use_key_vault()
    {
        var comments = Example["_comments"]!.AsObject();
        foreach (var secret in EnvContract.Variables<AppSettings>().Where(v => v.Secret))
        {
            var value = Example["Values"]![secret.Name]!.GetValue<string>();
            Assert.True(value.Length == 0 || value.StartsWith("replace-with", StringComparison.Ordinal), $"{secret.Name} holds a value that looks real: '{value}'");
        }
        Assert.Contains("@Microsoft.KeyVault(SecretUri=", comments["BACKUP_WEBHOOK_MASTER_KEY"]!.GetValue<string>());
    }
}
