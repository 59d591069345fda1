namespace Serverless.Backup.WorkerHost;

/// <summary>How to start the worker and how long to wait for it.</summary>
public sealed record FunctionsHostOptions
{
    /// <summary>The built or published app folder (holds worker.config.json, the app's assembly, host.json).</summary>
    public required string AppDirectory { get; init; }

    /// <summary>App settings: environment variables of the worker, as on Azure.</summary>
    public IReadOnlyDictionary<string, string> AppSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>From starting the process to the last FunctionLoadResponse. A cold worker on two busy cores takes seconds.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>How long one invocation may take before the fixture gives up on it.</summary>
    public TimeSpan InvocationTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The key HTTP functions whose authLevel is not anonymous require (query <c>code</c> or header <c>x-functions-key</c>).</summary>
    public string FunctionKey { get; init; } = Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant();

    /// <summary>The host_version sent in WorkerInitRequest. The worker only reports it; any 4.x value will do.</summary>
    public string HostVersion { get; init; } = "4.1000.0";
}
