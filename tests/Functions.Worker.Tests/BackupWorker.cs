using System.Reflection;
using Serverless.Backup.Control.Endpoints;
using Serverless.Backup.WorkerHost;

namespace Serverless.Backup.Functions.Worker.Tests;

/// <summary>The Functions app's build output, started as the Functions host starts it, with app settings as on Azure.</summary>
public static class BackupWorker
{
    public const string MasterKey = "worker-test-master-key-0123456789abcdefghij";

    /// <summary>src/Functions' build output (worker.config.json, functions.metadata, host.json, the app's assembly).</summary>
    public static string AppDirectory
    {
        get
        {
            var directory = typeof(BackupWorker).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .Single(a => a.Key == "FunctionsAppDirectory").Value!;
            return File.Exists(Path.Combine(directory, "worker.config.json"))
                ? Path.GetFullPath(directory)
                : throw new InvalidOperationException($"{directory} holds no built worker: build tests/Functions.Worker.Tests (it builds src/Functions first)");
        }
    }

    /// <summary>The timers' schedule settings with their defaults, as infra/bicep sets them (the host resolves %SETTING%).</summary>
    public static IReadOnlyDictionary<string, string> Schedules { get; } = FunctionCatalog.All
        .Select(f => f.Trigger).OfType<TimerTrigger>().ToDictionary(t => t.Setting, t => t.Default);

    /// <summary>Folder mode over <paramref name="folder"/>, the webhook key and the schedules: a worker that starts.</summary>
    public static Dictionary<string, string> FolderSettings(string folder) => new(Schedules)
    {
        ["BACKUP_CLUSTER"] = "folder",
        ["BACKUP_RESOURCES_FOLDER"] = folder,
        ["BACKUP_WEBHOOK_MASTER_KEY"] = MasterKey,
    };

    public static Task<FunctionsHost> StartAsync(IReadOnlyDictionary<string, string> appSettings, string? appDirectory = null, TimeSpan? startTimeout = null) =>
        FunctionsHost.StartAsync(new FunctionsHostOptions
        {
            AppDirectory = appDirectory ?? AppDirectory,
            AppSettings = appSettings,
            StartTimeout = startTimeout ?? TimeSpan.FromSeconds(120),
        }, CancellationToken.None);

    /// <summary>What a failed invocation says: its exception, and the worker's log lines of that invocation.</summary>
    public static string Describe(FunctionsHost host, WorkerHost.Rpc.InvocationResponse response) =>
        $"{response.Result.Status}: {response.Result.Exception?.Message}\nRpcLog:\n"
        + string.Join('\n', host.LogsOf(response.InvocationId).Select(l => $"{l.Level} {l.Category}: {l.Message} {l.Exception?.Message}"))
        + $"\nworker output:\n{host.Worker.Output}";
}
