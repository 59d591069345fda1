using System.Diagnostics;
using System.Text;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;

namespace Serverless.Backup.Testing;

/// <summary>What a finished runner process did.</summary>
public sealed record RunnerResult(int ExitCode, IReadOnlyList<RunnerEvent> Events, string Stdout, string Stderr)
{
    public FailedEvent? Failed => Events.OfType<FailedEvent>().SingleOrDefault();
    public SucceededEvent? Succeeded => Events.OfType<SucceededEvent>().SingleOrDefault();

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>
/// Runs the real runner (backup-runner.dll next to the test assembly) as a child process with exactly the
/// environment a Job would give it: no variable of the runner's contract leaks in from the test process.
/// </summary>
public sealed class RunnerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly List<RunnerEvent> _events = [];
    private readonly List<string> _notEvents = [];
    private readonly Lock _lock = new();

    private RunnerProcess(Process process)
    {
        _process = process;
    }

    public int Pid => _process.Id;

    public static string RunnerDll
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "backup-runner.dll");
            return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is missing: reference src/Runner from the test project");
        }
    }

    public static RunnerProcess Start(string verb, IEnumerable<KeyValuePair<string, string>> environment, string? pathPrefix = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { RunnerDll, verb },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var variable in EnvContract.Variables<RunnerSettings>())
        {
            start.Environment.Remove(variable.Name);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        if (pathPrefix is not null)
        {
            start.Environment["PATH"] = pathPrefix + ":" + start.Environment["PATH"];
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var runner = new RunnerProcess(process);
        process.OutputDataReceived += (_, e) => runner.OnStdout(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (runner._lock)
                {
                    runner._stderr.AppendLine(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return runner;
    }

    public static async Task<RunnerResult> RunAsync(string verb, RunnerSettings settings, string? pathPrefix = null, TimeSpan? timeout = null)
    {
        await using var runner = Start(verb, EnvContract.ToEnvironment(settings), pathPrefix);
        return await runner.WaitAsync(timeout ?? TimeSpan.FromMinutes(3));
    }

    public IReadOnlyList<RunnerEvent> EventsSoFar
    {
        get
        {
            lock (_lock)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>Waits until an event matches, or fails the test after the timeout.</summary>
    public async Task<RunnerEvent> WaitForEventAsync(Func<RunnerEvent, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (EventsSoFar.FirstOrDefault(match) is { } found)
            {
                return found;
            }
            if (_process.HasExited)
            {
                break;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"no matching runner event within {timeout}:\n{Snapshot()}");
    }

    public void Signal(int signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Waits for a runner that was killed: its output may end in a cut line, so it is not read as events.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Everything the runner wrote to stderr (its log) so far.</summary>
    public string StderrSoFar
    {
        get
        {
            lock (_lock)
            {
                return _stderr.ToString();
            }
        }
    }

    public async Task<RunnerResult> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the runner did not finish within {timeout}:\n{Snapshot()}");
        }
        _process.WaitForExit(); // drains the output readers
        lock (_lock)
        {
            if (_notEvents.Count > 0)
            {
                throw new InvalidOperationException($"the runner wrote lines to stdout that are not events: {string.Join(" | ", _notEvents)}");
            }
            return new RunnerResult(_process.ExitCode, [.. _events], _stdout.ToString(), _stderr.ToString());
        }
    }

    private string Snapshot()
    {
        lock (_lock)
        {
            return $"stdout:\n{_stdout}\nstderr:\n{_stderr}";
        }
    }

    private void OnStdout(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_lock)
        {
            _stdout.AppendLine(line);
            // Every stdout line must be an event: a line that is not fails the run in WaitAsync.
            try
            {
                _events.Add(RunnerJson.Deserialize(line));
            }
            catch (System.Text.Json.JsonException)
            {
                _notEvents.Add(line);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
