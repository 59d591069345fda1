using System.Text.Json.Nodes;
using Serverless.Backup.Control.Endpoints;

namespace Serverless.Backup.Functions.Worker.Tests.Deployment;

/// <summary>infra/bicep's Functions app: the dotnet-isolated runtime on Flex Consumption and the settings the worker needs.</summary>
public sealed class FlexDeploymentTests
{
    /// <summary>The .NET version the site's runtime names; the published worker targets the same (PublishTests).</summary>
    public const string RuntimeVersion = "10.0";

    [Fact]
    public async Task The_site_runs_dotnet_isolated_on_flex_consumption_without_custom_handler_or_worker_runtime_settings()
    {
        var (site, settings) = await SiteAsync();
        var runtime = site["properties"]!["functionAppConfig"]!["runtime"]!;

        Assert.Equal("dotnet-isolated", runtime["name"]!.GetValue<string>());
        Assert.Equal(RuntimeVersion, runtime["version"]!.GetValue<string>());
        // Flex Consumption takes the runtime from functionAppConfig and refuses these as app settings.
        Assert.DoesNotContain("FUNCTIONS_WORKER_RUNTIME", settings.Keys);
        Assert.DoesNotContain("FUNCTIONS_EXTENSION_VERSION", settings.Keys);
        Assert.DoesNotContain(settings.Keys, k => k.Contains("CUSTOMHANDLER", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("APPLICATIONINSIGHTS_CONNECTION_STRING", settings.Keys);
    }

    [Fact]
    public async Task Every_timer_schedule_setting_is_set_to_its_default()
    {
        var (_, settings) = await SiteAsync();

        foreach (var timer in FunctionCatalog.All.Select(f => f.Trigger).OfType<TimerTrigger>())
        {
            Assert.True(settings.TryGetValue(timer.Setting, out var value), $"{timer.Setting} is not an app setting: the host would put its timer in error");
            Assert.Equal(timer.Default, value);
        }
    }

    /// <summary>main.bicep compiled once for the class (a compile takes seconds).</summary>
    private static readonly Lazy<Task<string>> Template = new(() => BicepCli.BuildAsync("main.bicep"));

    /// <summary>The Microsoft.Web/sites resource of main.bicep (in its functionApp module) and its app settings.</summary>
    private static async Task<(JsonNode Site, Dictionary<string, string> Settings)> SiteAsync()
    {
        var template = JsonNode.Parse(await Template.Value)!;
        var site = Resources(template).Single(r => r["type"]!.GetValue<string>() == "Microsoft.Web/sites");
        var settings = site["properties"]!["siteConfig"]!["appSettings"]!.AsArray()
            .ToDictionary(s => s!["name"]!.GetValue<string>(), s => s!["value"]!.ToJsonString().Trim('"'));
        return (site, settings);
    }

    private static IEnumerable<JsonNode> Resources(JsonNode template)
    {
        var resources = template["resources"] switch
        {
            JsonArray array => array.OfType<JsonNode>(),
            JsonObject map => map.Select(kv => kv.Value).OfType<JsonNode>(),
            _ => [],
        };
        foreach (var resource in resources)
        {
            yield return resource;
            if (resource["properties"]?["template"] is { } nested)
            {
                foreach (var inner in Resources(nested))
                {
                    yield return inner;
                }
            }
        }
    }
}
