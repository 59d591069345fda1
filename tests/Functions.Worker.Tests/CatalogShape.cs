using System.Text.Json;
using Serverless.Backup.Control.Endpoints;
using Serverless.Backup.WorkerHost;

namespace Serverless.Backup.Functions.Worker.Tests;

/// <summary>
/// A function's trigger reduced to what the host acts on, comparable between <see cref="FunctionCatalog"/>, the
/// worker's FunctionMetadataResponse and functions.metadata. Auth levels and methods compare in lower case (the
/// worker writes "Function", the host reads it case-insensitively).
/// </summary>
public sealed record CatalogShape(string Name, string TriggerType, string? Schedule, string? Route, string? Methods, string? AuthLevel, bool HttpOutput)
{
    public static CatalogShape From(FunctionDefinition definition) => definition.Trigger switch
    {
        TimerTrigger timer => new(definition.Name, "timerTrigger", timer.Expression, null, null, null, false),
        HttpTrigger http => new(definition.Name, "httpTrigger", null, http.Route, http.Method.ToLowerInvariant(), http.AuthLevel.ToLowerInvariant(), true),
        _ => throw new ArgumentException($"unknown trigger {definition.Trigger}", nameof(definition)),
    };

    public static CatalogShape From(FunctionDescription function)
    {
        var trigger = function.Trigger;
        return new(
            function.Name,
            trigger.Type,
            trigger.Text("schedule"),
            trigger.Text("route"),
            function.IsHttp ? string.Join(",", trigger.Texts("methods").Select(m => m.ToLowerInvariant())) : null,
            trigger.Text("authLevel")?.ToLowerInvariant(),
            function.Bindings.Any(b => b.Type == "http" && b.Direction.Equals("out", StringComparison.OrdinalIgnoreCase) && b.Name == "$return"));
    }

    /// <summary>One entry of functions.metadata (the worker SDK's file: name and function.json-style bindings).</summary>
    public static CatalogShape From(JsonElement entry)
    {
        var bindings = entry.GetProperty("bindings").EnumerateArray().ToList();
        string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var trigger = bindings.Single(b => Text(b, "type")!.EndsWith("Trigger", StringComparison.Ordinal));
        var isHttp = Text(trigger, "type") == "httpTrigger";
        return new(
            entry.GetProperty("name").GetString()!,
            Text(trigger, "type")!,
            Text(trigger, "schedule"),
            Text(trigger, "route"),
            isHttp ? string.Join(",", trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!.ToLowerInvariant())) : null,
            Text(trigger, "authLevel")?.ToLowerInvariant(),
            bindings.Any(b => Text(b, "type") == "http" && Text(b, "direction")?.ToLowerInvariant() == "out" && Text(b, "name") == "$return"));
    }

    public static IReadOnlyList<CatalogShape> Catalog { get; } = [.. FunctionCatalog.All.Select(From).OrderBy(f => f.Name, StringComparer.Ordinal)];
}
