using System.Text.Json;
using Serverless.Backup.Functions.Hosting;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests.Hosting;

public sealed class FunctionLayoutTests
{
    [Fact]
    public void Host_json_starts_the_handler_with_proxying_and_the_api_prefix()
    {
        using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestEnvironment.RepoRoot, "host.json")));
        var root = host.RootElement;
        Assert.Equal("2.0", root.GetProperty("version").GetString());
        Assert.Equal("handler", root.GetProperty("customHandler").GetProperty("description").GetProperty("defaultExecutablePath").GetString());
        Assert.True(root.GetProperty("customHandler").GetProperty("enableProxyingHttpRequest").GetBoolean());
        Assert.Equal("api", root.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
    }

    [Fact]
    public void The_publish_step_writes_one_function_json_per_function_with_its_bindings()
    {
        var appRoot = Directory.CreateTempSubdirectory("sbk-layout-").FullName;
        try
        {
            FunctionJsonWriter.Write(appRoot);
            Assert.Equal(FunctionCatalog.All.Select(f => f.Name).Order(), Directory.GetDirectories(appRoot).Select(Path.GetFileName).Order());

            var tick = Bindings(appRoot, "ScheduleTick");
            var timer = Assert.Single(tick);
            Assert.Equal(("timerTrigger", "in", "0 * * * * *"), (timer.GetProperty("type").GetString(), timer.GetProperty("direction").GetString(), timer.GetProperty("schedule").GetString()));
            Assert.Equal(6, timer.GetProperty("schedule").GetString()!.Split(' ').Length);
            Assert.Equal(6, Bindings(appRoot, "Reconcile")[0].GetProperty("schedule").GetString()!.Split(' ').Length);

            var trigger = Bindings(appRoot, "TriggerBackup");
            Assert.Equal(2, trigger.Count);
            Assert.Equal(("httpTrigger", "function", "backups/{namespace}/{configuration}"), (trigger[0].GetProperty("type").GetString(), trigger[0].GetProperty("authLevel").GetString(), trigger[0].GetProperty("route").GetString()));
            Assert.Equal(["post"], trigger[0].GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
            Assert.Equal(("http", "out"), (trigger[1].GetProperty("type").GetString(), trigger[1].GetProperty("direction").GetString()));

            Assert.Equal("anonymous", Bindings(appRoot, "SessionEvents")[0].GetProperty("authLevel").GetString());
            foreach (var name in new[] { "CreateRestore", "GetSession", "ListSessions" })
            {
                var http = Bindings(appRoot, name);
                Assert.Equal("function", http[0].GetProperty("authLevel").GetString());
                Assert.Equal("http", http[1].GetProperty("type").GetString());
            }
        }
        finally
        {
            Directory.Delete(appRoot, recursive: true);
        }
    }

    private static List<JsonElement> Bindings(string appRoot, string function)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(appRoot, function, "function.json")));
        return document.RootElement.GetProperty("bindings").EnumerateArray().Select(e => e.Clone()).ToList();
    }
}
