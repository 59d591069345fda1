namespace Serverless.Backup.Functions.Hosting;

/// <summary>
/// One function of the app: a timer (6-field NCRONTAB schedule, as the Functions host wants it) or a proxied HTTP
/// route. The list lives once in <see cref="FunctionCatalog"/>; function.json files and standalone mode derive from it.
/// </summary>
public sealed record FunctionDefinition
{
    public required string Name { get; init; }
    /// <summary>Timer: second minute hour day month weekday.</summary>
    public string? Schedule { get; init; }
    public string? Route { get; init; }
    public IReadOnlyList<string> Methods { get; init; } = [];
    /// <summary>function (a key is required) or anonymous (the webhook: its requests are signed instead).</summary>
    public string AuthLevel { get; init; } = "function";

    public bool IsTimer => Schedule is not null;
}
