using System.Text.Json;

namespace Serverless.Backup.WorkerHost;

/// <summary>
/// A built or published isolated-worker app folder, as the host finds it: worker.config.json says how to start the
/// worker. The file is written by Microsoft.Azure.Functions.Worker.Sdk (tools/worker.config.json), for example
/// <c>{"description":{"language":"dotnet-isolated","defaultExecutablePath":"dotnet","defaultWorkerPath":"App.dll","workerIndexing":"true"}}</c>;
/// the host reads <c>defaultExecutablePath</c>, <c>defaultWorkerPath</c> and the optional <c>arguments</c> and
/// <c>workerArguments</c> (Azure/azure-functions-host, src/WebJobs.Script.Grpc/Abstractions/WorkerDescription.cs),
/// and substitutes <c>{WorkerRoot}</c> with the folder.
/// </summary>
public sealed record WorkerApp(
    string Directory,
    string Language,
    string ExecutablePath,
    string? WorkerPath,
    IReadOnlyList<string> ExecutableArguments,
    IReadOnlyList<string> WorkerArguments,
    bool WorkerIndexing)
{
    private const string WorkerRootToken = "{WorkerRoot}";

    public static WorkerApp FromDirectory(string directory)
    {
        directory = Path.GetFullPath(directory);
        var configPath = Path.Combine(directory, HostContract.WorkerConfigFileName);
        if (!File.Exists(configPath))
        {
            throw new WorkerHostException(
                $"{configPath} is missing: the folder is not a built isolated-worker app (Microsoft.Azure.Functions.Worker.Sdk writes it on build and publish)");
        }
        JsonElement description;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(configPath));
            description = document.RootElement.GetProperty("description").Clone();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new WorkerHostException($"{configPath} is not a worker description (expected an object with \"description\")", e);
        }
        string? Text(string name) =>
            description.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        IReadOnlyList<string> List(string name) =>
            description.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
                ? value.EnumerateArray().Select(v => Expand(v.GetString() ?? "", directory)).ToList()
                : [];

        var executable = Text("defaultExecutablePath")
            ?? throw new WorkerHostException($"{configPath} has no description.defaultExecutablePath");
        var workerPath = Text("defaultWorkerPath");
        return new WorkerApp(
            directory,
            Text("language") ?? "",
            Expand(executable, directory),
            workerPath is null ? null : Path.GetFullPath(Path.Combine(directory, Expand(workerPath, directory))),
            List("arguments"),
            List("workerArguments"),
            string.Equals(Text("workerIndexing"), "true", StringComparison.OrdinalIgnoreCase));
    }

    private static string Expand(string value, string directory) =>
        value.Replace(WorkerRootToken, directory.EndsWith('/') ? directory : directory + "/", StringComparison.Ordinal);
}
