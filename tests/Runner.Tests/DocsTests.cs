using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Runner.Tests;

public sealed class DocsTests
{
    private static readonly string RunnerDoc = File.ReadAllText(Path.Combine(TestEnvironment.RepoRoot, "docs", "runner.md"));

    [Fact]
    public void Every_environment_variable_of_the_runner_is_documented()
    {
        var missing = EnvContract.Variables<RunnerSettings>().Select(v => v.Name).Where(n => !RunnerDoc.Contains($"`{n}`")).ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public void Every_exit_code_is_documented_with_its_reason()
    {
        foreach (var reason in Enum.GetValues<FailureReason>())
        {
            var name = System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(reason.ToString());
            Assert.Contains($"| {ExitCodes.For(reason)} | `{name}` |", RunnerDoc);
        }
    }
}
