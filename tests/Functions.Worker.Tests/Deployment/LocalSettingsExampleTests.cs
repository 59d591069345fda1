using System.Text.Json.Nodes;
using Serverless.Backup.Control.Endpoints;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Worker.Tests.Deployment;

/// <summary>local.settings.json.example: what a local `func start` of the worker needs.</summary>
public sealed class LocalSettingsExampleTests
{
    private static readonly JsonObject Example = JsonNode.Parse(File.ReadAllText(Path.Combine(TestEnvironment.RepoRoot, "local.settings.json.example")))!.AsObject();

    [Fact]
    public void The_example_runs_the_isolated_worker()
    {
        Assert.Equal("dotnet-isolated", Example["Values"]!["FUNCTIONS_WORKER_RUNTIME"]!.GetValue<string>());
        Assert.Contains("Flex Consumption", Example["_comments"]!["FUNCTIONS_WORKER_RUNTIME"]!.GetValue<string>());
    }

    [Fact]
    public void Every_timer_schedule_setting_is_in_the_example_with_its_default_and_a_description()
    {
        var values = Example["Values"]!.AsObject();
        var comments = Example["_comments"]!.AsObject();

        foreach (var timer in FunctionCatalog.All.Select(f => f.Trigger).OfType<TimerTrigger>())
        {
            Assert.Equal(timer.Default, values[timer.Setting]?.GetValue<string>());
            Assert.Contains(timer.Default, comments[timer.Setting]?.GetValue<string>());
        }
    }
}
