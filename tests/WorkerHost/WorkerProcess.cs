using System.Diagnostics;
using System.Text;

namespace Serverless.Backup.WorkerHost;

/// <summary>
/// The worker program, started as the host starts it: the executable and worker path from worker.config.json,
/// then the host's arguments (<see cref="WorkerStartArguments"/>), in the app folder, with the host's environment
/// plus the app settings. Standard output and error are kept for assertions and failure messages.
/// </summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _lock = new();
    private int? _exitCode;

    private WorkerProcess(Process process, IReadOnlyList<string> commandLine, IReadOnlyDictionary<string, string> environment)
    {
        _process = process;
        CommandLine = commandLine;
        Environment = environment;
    }

    /// <summary>The program and its arguments, as started.</summary>
    public IReadOnlyList<string> CommandLine { get; }

    /// <summary>The variables this launcher set on top of the inherited environment.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    public int Pid => _process.Id;

    public bool HasExited => _exitCode is not null || _process.HasExited;

    /// <summary>The exit code once the worker ended (kept after the process object is disposed), else null.</summary>
    public int? ExitCode => _exitCode ?? (_process.HasExited ? _process.ExitCode : null);

    /// <summary>Whether <see cref="StopAsync"/> had to kill the worker because it did not end within the grace period.</summary>
    public bool WasKilled { get; private set; }

    /// <summary>Standard output and error so far, interleaved as they arrived, each line marked with its stream.</summary>
    public string Output
    {
        get
        {
            lock (_lock)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// The environment the host gives a dotnet-isolated worker. The host starts the worker with its own
    /// environment (on Azure the app settings are environment variables of the host) plus
    /// FUNCTIONS_WORKER_DIRECTORY (the folder of worker.config.json), FUNCTIONS_APPLICATION_DIRECTORY (the script
    /// root) and FUNCTIONS_WORKER_RUNTIME_VERSION (Azure/azure-functions-host, src/WebJobs.Script.Grpc/Channel/RpcWorkerProcess.cs,
    /// CreateWorkerProcess). The worker needs FUNCTIONS_APPLICATION_DIRECTORY (or FUNCTIONS_WORKER_DIRECTORY) to find
    /// the function assembly on load and host.json for the HTTP route prefix (Azure/azure-functions-dotnet-worker,
    /// src/DotNetWorker.Grpc/Definition/WorkerApplicationDirectoryContext.cs and
    /// extensions/Worker.Extensions.Http.AspNetCore/src/AspNetMiddleware/FunctionsEndpointDataSource.cs).
    /// AzureWebJobsScriptRoot is the host's own name for the script root, which older workers read.
    /// </summary>
    public static IReadOnlyDictionary<string, string> HostEnvironment(WorkerApp app, IReadOnlyDictionary<string, string> appSettings)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["FUNCTIONS_WORKER_RUNTIME"] = app.Language.Length > 0 ? app.Language : "dotnet-isolated",
            ["FUNCTIONS_EXTENSION_VERSION"] = "~4",
            ["FUNCTIONS_WORKER_RUNTIME_VERSION"] = $"{System.Environment.Version.Major}.0",
            ["AzureWebJobsScriptRoot"] = app.Directory,
            ["FUNCTIONS_WORKER_DIRECTORY"] = app.Directory,
            ["FUNCTIONS_APPLICATION_DIRECTORY"] = app.Directory,
        };
        foreach (var (name, value) in appSettings)
        {
            environment[name] = value;
        }
        return environment;
    }

    public static WorkerProcess Start(WorkerApp app, WorkerStartArguments arguments, IReadOnlyDictionary<string, string> appSettings)
    {
        var start = new ProcessStartInfo(app.ExecutablePath)
        {
            WorkingDirectory = app.Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (var argument in app.ExecutableArguments)
        {
            start.ArgumentList.Add(argument);
        }
        if (app.WorkerPath is not null)
        {
            start.ArgumentList.Add(app.WorkerPath);
        }
        foreach (var argument in app.WorkerArguments.Concat(arguments.ToArgumentList()))
        {
            start.ArgumentList.Add(argument);
        }
        // Settings of a Functions host or app in the shell that runs the tests must not reach the worker.
        foreach (var inherited in start.Environment.Keys.Where(IsFunctionsVariable).ToList())
        {
            start.Environment.Remove(inherited);
        }
        var environment = HostEnvironment(app, appSettings);
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var worker = new WorkerProcess(process, [start.FileName, .. start.ArgumentList], environment);
        process.OutputDataReceived += (_, e) => worker.Append("out", e.Data);
        process.ErrorDataReceived += (_, e) => worker.Append("err", e.Data);
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new WorkerHostException($"could not start the worker '{string.Join(' ', worker.CommandLine)}' in {app.Directory}: {e.Message}", e);
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>Waits up to <paramref name="grace"/> for the worker to end by itself, then kills it and its children.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_exitCode is not null)
        {
            return;
        }
        if (!_process.HasExited)
        {
            using var timeout = new CancellationTokenSource(grace);
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                WasKilled = true;
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }
        // Let the asynchronous readers deliver the last lines.
        _process.WaitForExit();
        _exitCode = _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.Zero);
        _process.Dispose();
    }

    private static bool IsFunctionsVariable(string name) =>
        name.StartsWith("FUNCTIONS_", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("AzureWebJobs", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("AZURE_FUNCTIONS_", StringComparison.OrdinalIgnoreCase);

    private void Append(string stream, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_lock)
        {
            _output.Append(stream).Append(": ").AppendLine(line);
        }
    }
}
