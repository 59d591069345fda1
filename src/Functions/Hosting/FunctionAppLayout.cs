using System.Text.Json;
using System.Text.Json.Nodes;

namespace Serverless.Backup.Functions.Hosting;

/// <summary>
/// Writes the Functions app's layout around the published handler: host.json and one folder per function with
/// its function.json, all from <see cref="FunctionCatalog"/>.
/// </summary>
public static class FunctionAppLayout
{
    public const string HandlerExecutable = "handler";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static JsonObject HostJson() => new()
    {
        ["version"] = "2.0",
        ["customHandler"] = new JsonObject
        {
            ["description"] = new JsonObject
            {
                ["defaultExecutablePath"] = HandlerExecutable,
                ["workingDirectory"] = "",
                ["arguments"] = new JsonArray(),
            },
            // HTTP functions reach the handler as the original request (path, query, headers, body).
            ["enableProxyingHttpRequest"] = true,
        },
        ["extensions"] = new JsonObject { ["http"] = new JsonObject { ["routePrefix"] = FunctionCatalog.RoutePrefix } },
        ["functionTimeout"] = "00:10:00",
        ["logging"] = new JsonObject { ["logLevel"] = new JsonObject { ["default"] = "Information" } },
    };

    public static JsonObject FunctionJson(FunctionDefinition function) => function.Trigger switch
    {
        TimerTrigger timer => new JsonObject
        {
            ["bindings"] = new JsonArray(new JsonObject
            {
                ["name"] = "timer", ["type"] = "timerTrigger", ["direction"] = "in",
                ["schedule"] = timer.Schedule, ["useMonitor"] = true, ["runOnStartup"] = false,
            }),
        },
        HttpTrigger http => new JsonObject
        {
            ["bindings"] = new JsonArray(
                new JsonObject
                {
                    ["name"] = "req", ["type"] = "httpTrigger", ["direction"] = "in", ["authLevel"] = http.AuthLevel,
                    ["methods"] = new JsonArray(http.Method), ["route"] = http.Route,
                },
                new JsonObject { ["name"] = "res", ["type"] = "http", ["direction"] = "out" }),
        },
        _ => throw new NotSupportedException(function.Trigger.GetType().Name),
    };

    /// <summary>Writes host.json and every function folder into <paramref name="folder"/> (the publish folder).</summary>
    public static void Write(string folder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "host.json"), HostJson().ToJsonString(Indented));
        foreach (var function in FunctionCatalog.All)
        {
            var dir = Path.Combine(folder, function.Name);
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "function.json"), FunctionJson(function).ToJsonString(Indented));
        }
    }
}
