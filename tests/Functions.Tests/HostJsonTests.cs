using System.Text.Json.Nodes;
using Serverless.Backup.Functions.Hosting;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests;

public sealed class HostJsonTests
{
    [Fact]
    public void The_host_json_at_the_repository_root_is_the_one_the_publish_step_writes()
    {
        var root = JsonNode.Parse(File.ReadAllText(Path.Combine(TestEnvironment.RepoRoot, "host.json")));

        Assert.True(JsonNode.DeepEquals(FunctionAppLayout.HostJson(), root), "host.json differs from FunctionAppLayout.HostJson(): regenerate it with `dotnet run --project src/Functions -- generate-app .`");
    }
}
