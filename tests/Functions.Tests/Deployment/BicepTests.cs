using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Control.Jobs;
using Serverless.Backup.Control;
using Serverless.Backup.Control.Settings;

namespace Serverless.Backup.Functions.Tests.Deployment;

/// <summary>infra/bicep: every file compiles and lints clean with the pinned Bicep CLI, and the ARM template has the settings a secure deployment needs.</summary>
public sealed class BicepTests
{
    private const string StorageBlobDataContributor = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
    private const string KeyVaultSecretsUser = "4633458b-17de-408a-b874-0445c86b69e6";

    public static TheoryData<string> BicepFiles() => new(Directory.EnumerateFiles(BicepCli.Folder, "*.bicep", SearchOption.AllDirectories)
        .Select(f => Path.GetRelativePath(BicepCli.Folder, f)).Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public async Task Every_bicep_file_builds_and_lints_without_a_warning(string file)
    {
        var build = await BicepCli.RunAsync(null, "build", file, "--stdout");
        var lint = await BicepCli.RunAsync(null, "lint", file);

        Assert.True(build.ExitCode == 0 && build.Stderr.Trim().Length == 0, $"bicep build {file} exited {build.ExitCode}:\n{build.Stderr}");
        Assert.True(lint.ExitCode == 0 && lint.Stderr.Trim().Length == 0 && lint.Stdout.Trim().Length == 0, $"bicep lint {file} exited {lint.ExitCode}:\n{lint.Stdout}{lint.Stderr}");
    }

    [Fact]
    public async Task The_example_parameters_file_builds_with_the_secrets_taken_from_the_environment()
    {
        var result = await BicepCli.RunAsync(
            new Dictionary<string, string> { ["BACKUP_WEBHOOK_MASTER_KEY"] = new string('k', 48), ["RESTIC_PASSWORD"] = new string('p', 32) },
            "build-params", "main.bicepparam", "--stdout");

        Assert.True(result.ExitCode == 0 && result.Stderr.Trim().Length == 0, result.Stderr);
        var parameters = JsonNode.Parse(JsonNode.Parse(result.Stdout)!["parametersJson"]!.GetValue<string>())!["parameters"]!.AsObject();
        Assert.Contains("webhookMasterKey", parameters.Select(p => p.Key));
    }

    [Fact]
    public async Task The_function_app_runs_the_dotnet_isolated_runtime_on_flex_consumption_with_key_vault_references_for_its_secrets()
    {
        var resources = await ResourcesAsync();
        var site = Assert.Single(resources, r => Type(r) == "Microsoft.Web/sites");
        var plan = Assert.Single(resources, r => Type(r) == "Microsoft.Web/serverfarms");

        Assert.Equal("FlexConsumption", plan["sku"]!["tier"]!.GetValue<string>());
        Assert.Equal("dotnet-isolated", site["properties"]!["functionAppConfig"]!["runtime"]!["name"]!.GetValue<string>());
        Assert.Equal("blobContainer", site["properties"]!["functionAppConfig"]!["deployment"]!["storage"]!["type"]!.GetValue<string>());
        Assert.Equal("UserAssignedIdentity", site["properties"]!["functionAppConfig"]!["deployment"]!["storage"]!["authentication"]!["type"]!.GetValue<string>());
        var settings = site["properties"]!["siteConfig"]!["appSettings"]!.AsArray().ToDictionary(s => s!["name"]!.GetValue<string>(), s => s!["value"]!.ToJsonString(Plain));

        // Flex Consumption takes the runtime from functionAppConfig and refuses FUNCTIONS_WORKER_RUNTIME as a setting.
        Assert.DoesNotContain("FUNCTIONS_WORKER_RUNTIME", settings.Keys);
        Assert.DoesNotContain("AzureWebJobsStorage", settings.Keys);
        Assert.Contains("managedidentity", settings["AzureWebJobsStorage__credential"]);
        Assert.Contains("aks", settings["BACKUP_CLUSTER"]);
        var read = EnvContract.Variables<AppSettings>().ToDictionary(v => v.Name);
        Assert.All(settings.Keys.Where(k => k.StartsWith("BACKUP_", StringComparison.Ordinal)), k => Assert.True(ControlPlaneServices.SettingNames.Contains(k), $"{k} is set but the app never reads it"));
        foreach (var secret in read.Values.Where(v => v.Secret && settings.ContainsKey(v.Name)))
        {
            Assert.StartsWith("\"[format('@Microsoft.KeyVault(SecretUri=", settings[secret.Name], StringComparison.Ordinal);
        }
        Assert.Contains("BACKUP_WEBHOOK_MASTER_KEY", settings.Keys);
        Assert.NotNull(site["properties"]!["keyVaultReferenceIdentity"]);
    }

    [Fact]
    public async Task The_runner_identity_can_write_the_backup_container_through_a_federated_credential_for_its_service_account()
    {
        var resources = await ResourcesAsync();
        var runnerAccount = new RunnerJobOptions { Image = "x" }.ServiceAccountName;

        var assignment = Assert.Single(resources, r => Type(r) == "Microsoft.Authorization/roleAssignments" && Text(r).Contains(StorageBlobDataContributor, StringComparison.Ordinal));
        Assert.Contains("containers", assignment["scope"]!.GetValue<string>());
        var federation = Assert.Single(resources, r => Type(r) == "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials");
        Assert.Contains($"system:serviceaccount:{{0}}:{{1}}", federation["properties"]!["subject"]!.GetValue<string>());
        Assert.Equal("api://AzureADTokenExchange", federation["properties"]!["audiences"]![0]!.GetValue<string>());
        var main = await TemplateAsync();
        Assert.Contains($"'{runnerAccount}'", main["variables"]!["runnerServiceAccountName"]!.ToJsonString(Plain).Replace("\"", "'", StringComparison.Ordinal));
        // No account keys on the backups when identity is used (the default), nor ever on the app's own storage.
        Assert.False(main["parameters"]!["allowSharedKeyAccess"]!["defaultValue"]!.GetValue<bool>());
        Assert.All(resources.Where(r => Type(r) == "Microsoft.Storage/storageAccounts"), a =>
            Assert.Contains(a["properties"]!["allowSharedKeyAccess"]!.ToJsonString(Plain), new[] { "false", "\"[parameters('allowSharedKeyAccess')]\"" }));
    }

    [Fact]
    public async Task Secrets_live_in_key_vault_with_rbac_the_app_may_read_them_and_no_output_carries_one()
    {
        var resources = await ResourcesAsync();
        var main = await TemplateAsync();

        var vault = Assert.Single(resources, r => Type(r) == "Microsoft.KeyVault/vaults");
        Assert.True(vault["properties"]!["enableRbacAuthorization"]!.GetValue<bool>());
        var secrets = resources.Where(r => Type(r) == "Microsoft.KeyVault/vaults/secrets").Select(r => r["name"]!.ToJsonString(Plain)).ToList();
        Assert.Contains(secrets, s => s.Contains("webhook-master-key", StringComparison.Ordinal));
        Assert.Contains(secrets, s => s.Contains("restic-password", StringComparison.Ordinal));
        Assert.Contains(resources, r => Type(r) == "Microsoft.Authorization/roleAssignments" && Text(r).Contains(KeyVaultSecretsUser, StringComparison.Ordinal));
        Assert.Equal("securestring", main["parameters"]!["webhookMasterKey"]!["type"]!.GetValue<string>());
        Assert.Equal("securestring", main["parameters"]!["resticPassword"]!["type"]!.GetValue<string>());
        Assert.DoesNotContain(main["outputs"]!.AsObject(), o => o.Value!["type"]!.GetValue<string>().StartsWith("secure", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Monitoring_has_application_insights_on_a_workspace_the_workbook_and_an_alert_rule_for_each_alert_of_alerts_json()
    {
        var resources = await ResourcesAsync();
        var main = await TemplateAsync();

        Assert.Contains(resources, r => Type(r) == "Microsoft.OperationalInsights/workspaces");
        Assert.Contains(resources, r => Type(r) == "Microsoft.Insights/components");
        // The workbook's content is workbook.json, on the workspace.
        var workbook = Assert.Single(resources, r => Type(r) == "Microsoft.Insights/workbooks");
        Assert.Contains("workbook.json", File.ReadAllText(Path.Combine(BicepCli.Folder, "modules", "monitoring.bicep")), StringComparison.Ordinal);
        Assert.Contains("workspaces", workbook["properties"]!["sourceId"]!.ToJsonString(Plain), StringComparison.Ordinal);
        // One scheduled query rule per entry of alerts.json (a copy loop over the loaded file), on the workspace.
        var rule = Assert.Single(resources, r => Type(r) == "Microsoft.Insights/scheduledQueryRules");
        Assert.Contains("variables('alerts')", rule["copy"]!["count"]!.ToJsonString(Plain), StringComparison.Ordinal);
        var monitoring = Assert.Single(resources, r => Type(r) == "Microsoft.Resources/deployments" && r["name"]!.ToJsonString(Plain).Contains("monitoring", StringComparison.Ordinal));
        var variables = monitoring["properties"]!["template"]!["variables"]!;
        // alerts is "[variables('$fxv#N')]": the file's content as loaded.
        var loaded = Regex.Match(variables["alerts"]!.GetValue<string>(), @"variables\('([^']+)'\)").Groups[1].Value;
        var deployed = variables[loaded]!.AsArray().Select(a => a!["name"]!.GetValue<string>()).ToList();
        var file = JsonNode.Parse(File.ReadAllText(Path.Combine(BicepCli.Folder, "alerts.json")))!.AsArray().Select(a => a!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(file, deployed);
        Assert.Contains("session-failed", deployed);
        Assert.Contains("backup-missing", deployed);
        // The action group: e-mail and an optional webhook (a secure parameter: its URL carries its key).
        var group = Assert.Single(resources, r => Type(r) == "Microsoft.Insights/actionGroups");
        Assert.NotNull(group["properties"]!["emailReceivers"]);
        Assert.NotNull(group["properties"]!["webhookReceivers"]);
        Assert.Equal("securestring", main["parameters"]!["alertWebhookUrl"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Every_parameter_is_documented_and_the_outputs_give_what_the_kubernetes_manifests_need()
    {
        var main = await TemplateAsync();

        Assert.All(main["parameters"]!.AsObject(), p => Assert.False(string.IsNullOrWhiteSpace(p.Value!["metadata"]?["description"]?.GetValue<string>()), $"parameter {p.Key} has no @description"));
        var outputs = main["outputs"]!.AsObject().Select(o => o.Key).ToList();
        Assert.Subset(outputs.ToHashSet(), new HashSet<string> { "functionAppName", "functionAppUrl", "functionsIdentityPrincipalId", "runnerIdentityClientId", "backupStorageAccountName", "backupContainerName", "keyVaultName" });
    }

    private static readonly JsonSerializerOptions Plain = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Type(JsonObject resource) => resource["type"]!.GetValue<string>();

    /// <summary>A resource as text, with its template's variables('…') written out (role ids are variables).</summary>
    private static string Text(JsonObject resource)
    {
        var text = resource.ToJsonString(Plain);
        foreach (var (name, value) in resource.Parent?.Parent is JsonObject { } template && template["variables"] is JsonObject variables ? variables : [])
        {
            text = text.Replace($"variables('{name}')", value!.ToJsonString(Plain), StringComparison.Ordinal);
        }
        return text;
    }

    /// <summary>main.bicep compiled once for the class (each compile takes seconds).</summary>
    private static readonly Lazy<Task<JsonObject>> Compiled = new(CompileAsync);

    private static async Task<JsonObject> TemplateAsync() => (JsonObject)(await Compiled.Value).DeepClone();

    private static async Task<JsonObject> CompileAsync()
    {
        var build = await BicepCli.RunAsync(null, "build", "main.bicep", "--stdout");
        if (build.ExitCode != 0)
        {
            throw new InvalidOperationException("bicep build main.bicep failed:\n" + build.Stderr);
        }
        return JsonNode.Parse(build.Stdout)!.AsObject();
    }

    /// <summary>Every resource of main.bicep, modules included (nested deployments' templates).</summary>
    private static async Task<List<JsonObject>> ResourcesAsync()
    {
        var all = new List<JsonObject>();
        void Collect(JsonObject template)
        {
            var resources = template["resources"] switch
            {
                JsonArray array => array.OfType<JsonObject>(),
                JsonObject map => map.Select(kv => kv.Value).OfType<JsonObject>(),
                _ => [],
            };
            foreach (var resource in resources)
            {
                all.Add(resource);
                if (resource["properties"]?["template"] is JsonObject nested)
                {
                    Collect(nested);
                }
            }
        }
        Collect(await TemplateAsync());
        return all;
    }
}
