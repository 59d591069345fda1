using System.Text.Json;
using Serverless.Backup.WorkerHost.Rpc;

namespace Serverless.Backup.WorkerHost;

/// <summary>One binding of a function as the worker indexed it: one entry of RpcFunctionMetadata.raw_bindings.</summary>
public sealed record BindingDescription(string Name, string Type, string Direction, JsonElement Raw)
{
    public bool IsTrigger => Type.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase);

    /// <summary>A string property of the binding (schedule, route, authLevel, ...), or null.</summary>
    public string? Text(string property) =>
        Raw.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>A string-array property of the binding (methods), empty when absent.</summary>
    public IReadOnlyList<string> Texts(string property) =>
        Raw.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().Select(v => v.GetString() ?? "").ToList()
            : [];

    internal BindingInfo ToBindingInfo() => new()
    {
        Type = Type,
        Direction = Direction.ToLowerInvariant() switch
        {
            "out" => BindingInfo.Types.Direction.Out,
            "inout" => BindingInfo.Types.Direction.Inout,
            _ => BindingInfo.Types.Direction.In,
        },
    };
}

/// <summary>
/// A function the worker reported in its FunctionMetadataResponse, with its bindings read from raw_bindings (JSON
/// objects as in function.json / functions.metadata: name, type, direction and the trigger's own properties).
/// </summary>
public sealed record FunctionDescription(string Name, string FunctionId, RpcFunctionMetadata Metadata, IReadOnlyList<BindingDescription> Bindings)
{
    public BindingDescription Trigger =>
        Bindings.FirstOrDefault(b => b.IsTrigger && b.Direction.Equals("in", StringComparison.OrdinalIgnoreCase))
        ?? throw new WorkerHostException($"function {Name} has no trigger binding among {string.Join(", ", Bindings.Select(b => b.Type))}");

    /// <summary>The timer trigger's NCRONTAB schedule, or null for another trigger.</summary>
    public string? Schedule => Trigger.Type.Equals("timerTrigger", StringComparison.OrdinalIgnoreCase) ? Trigger.Text("schedule") : null;

    /// <summary>The HTTP trigger's route template (without the route prefix), or null.</summary>
    public string? Route => IsHttp ? Trigger.Text("route") ?? Name : null;

    public IReadOnlyList<string> Methods => IsHttp ? Trigger.Texts("methods") : [];

    /// <summary>The HTTP trigger's authLevel as the worker wrote it (Anonymous, Function, Admin), or null.</summary>
    public string? AuthLevel => IsHttp ? Trigger.Text("authLevel") : null;

    public bool IsHttp => Bindings.Any(b => b.Type.Equals("httpTrigger", StringComparison.OrdinalIgnoreCase));

    internal static FunctionDescription From(RpcFunctionMetadata metadata)
    {
        var bindings = new List<BindingDescription>();
        foreach (var raw in metadata.RawBindings)
        {
            JsonElement element;
            try
            {
                using var document = JsonDocument.Parse(raw);
                element = document.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new WorkerHostException($"function {metadata.Name}: a raw binding is not JSON: {raw}", e);
            }
            string Field(string name) =>
                element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
                    ? v.GetString()!
                    : throw new WorkerHostException($"function {metadata.Name}: raw binding without \"{name}\": {raw}");
            bindings.Add(new BindingDescription(Field("name"), Field("type"), Field("direction"), element));
        }
        if (bindings.Count == 0)
        {
            // A worker may fill only the typed map; keep what it says.
            foreach (var (name, info) in metadata.Bindings)
            {
                using var empty = JsonDocument.Parse("{}");
                bindings.Add(new BindingDescription(name, info.Type, info.Direction.ToString(), empty.RootElement.Clone()));
            }
        }
        var id = string.IsNullOrEmpty(metadata.FunctionId) ? Guid.NewGuid().ToString() : metadata.FunctionId;
        return new FunctionDescription(metadata.Name, id, metadata, bindings);
    }

    /// <summary>
    /// The FunctionLoadRequest the host sends for this function: id, name, directory, entry point, script file and
    /// one BindingInfo per binding (Azure/azure-functions-host, src/WebJobs.Script.Grpc/Channel/GrpcWorkerChannel.cs,
    /// GetFunctionLoadRequest). The worker resolves script_file against its app directory.
    /// </summary>
    internal FunctionLoadRequest ToLoadRequest()
    {
        var request = new FunctionLoadRequest
        {
            FunctionId = FunctionId,
            Metadata = new RpcFunctionMetadata
            {
                Name = Name,
                FunctionId = FunctionId,
                Directory = Metadata.Directory,
                EntryPoint = Metadata.EntryPoint,
                ScriptFile = Metadata.ScriptFile,
                IsProxy = false,
                Language = Metadata.Language,
            },
        };
        foreach (var binding in Bindings)
        {
            request.Metadata.Bindings[binding.Name] = binding.ToBindingInfo();
        }
        foreach (var (key, value) in Metadata.Properties)
        {
            request.Metadata.Properties[key] = value;
        }
        return request;
    }
}
