using System.Text.Json;
using System.Text.Json.Nodes;

namespace Serverless.Backup.Functions.Hosting;

/// <summary>Writes <c>&lt;FunctionName&gt;/function.json</c> for every function of the catalog next to host.json (the publish step).</summary>
public static class FunctionJsonWriter
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static JsonObject Bindings(FunctionDefinition function)
    {
        var bindings = new JsonArray();
        if (function.IsTimer)
        {
            bindings.Add(new JsonObject
            {
                ["name"] = "timer",
                ["type"] = "timerTrigger",
                ["direction"] = "in",
                ["schedule"] = function.Schedule,
                ["useMonitor"] = true,
            });
        }
        else
        {
            bindings.Add(new JsonObject
            {
                ["name"] = "req",
                ["type"] = "httpTrigger",
                ["direction"] = "in",
                ["authLevel"] = function.AuthLevel,
                ["methods"] = new JsonArray(function.Methods.Select(m => (JsonNode)JsonValue.Create(m)!).ToArray()),
                ["route"] = function.Route,
            });
            bindings.Add(new JsonObject { ["name"] = "res", ["type"] = "http", ["direction"] = "out" });
        }
        return new JsonObject { ["bindings"] = bindings };
    }

    /// <summary>Writes every function.json under <paramref name="appRoot"/>; returns the files written.</summary>
    public static IReadOnlyList<string> Write(string appRoot)
    {
        var written = new List<string>();
        foreach (var function in FunctionCatalog.All)
        {
            var folder = Path.Combine(appRoot, function.Name);
            Directory.CreateDirectory(folder);
            var path = Path.Combine(folder, "function.json");
            File.WriteAllText(path, Bindings(function).ToJsonString(Indented) + "\n");
            written.Add(path);
        }
        return written;
    }
}
