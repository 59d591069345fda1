using System.Reflection;

namespace Serverless.Backup.WorkerHost.Tests;

/// <summary>The sample worker (SampleWorker/), started once through the fixture for the tests of a class.</summary>
public sealed class SampleWorkerHost : IAsyncLifetime
{
    public const string FailingTickSetting = "SAMPLE_TICK_FAILS";

    private FunctionsHost? _host;

    public FunctionsHost Host => _host ?? throw new InvalidOperationException("the sample worker has not started");

    /// <summary>The sample worker's build output (its worker.config.json, SampleWorker.dll, functions.metadata, host.json).</summary>
    public static string AppDirectory
    {
        get
        {
            var directory = typeof(SampleWorkerHost).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .Single(a => a.Key == "SampleWorkerDirectory").Value!;
            return File.Exists(Path.Combine(directory, "worker.config.json"))
                ? directory
                : throw new InvalidOperationException($"{directory} holds no built worker: build tests/WorkerHost.Tests (it builds SampleWorker first)");
        }
    }

    public static Task<FunctionsHost> StartAsync(IReadOnlyDictionary<string, string> appSettings) =>
        FunctionsHost.StartAsync(new FunctionsHostOptions { AppDirectory = AppDirectory, AppSettings = appSettings }, CancellationToken.None);

    public async Task InitializeAsync() => _host = await StartAsync(new Dictionary<string, string> { [FailingTickSetting] = "true" });

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}
