using System.Diagnostics;
using System.Text;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests;

/// <summary>The real server process (src/Standalone) over a folder, on a loopback port, with its own timers.</summary>
public sealed class StandaloneApp : IAsyncDisposable
{
    public const string ApiKey = "standalone-key-0123456789";
    private readonly StringBuilder _output = new();

    private StandaloneApp(Process process, Uri url)
    {
        Process = process;
        Url = url;
        Http = new HttpClient { BaseAddress = url };
    }

    public Process Process { get; }
    public Uri Url { get; }
    public HttpClient Http { get; }

    /// <summary>The output as it grows; lock it to read.</summary>
    public StringBuilder OutputBuilder => _output;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the app; the runner command defaults to the real runner.</summary>
    public static StandaloneApp Start(string folder, string? apiKey = ApiKey, string? runnerCommand = null, IReadOnlyDictionary<string, string>? environment = null, bool timers = true)
    {
        var port = TestEnvironment.FreePort();
        var url = new Uri($"http://127.0.0.1:{port}/");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(ServerDll);
        if (!timers)
        {
            DisableTimers(start.Environment);
        }
        start.Environment["BACKUP_CLUSTER"] = "folder";
        start.Environment["BACKUP_RESOURCES_FOLDER"] = folder;
        start.Environment["BACKUP_LISTEN_URL"] = url.ToString().TrimEnd('/');
        start.Environment["BACKUP_WEBHOOK_MASTER_KEY"] = FunctionsApp.MasterKey;
        start.Environment["BACKUP_RUNNER_COMMAND"] = runnerCommand ?? $"dotnet {RunnerProcess.RunnerDll}";
        if (apiKey is not null)
        {
            start.Environment["BACKUP_API_KEY"] = apiKey;
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        var app = new StandaloneApp(Process.Start(start)!, url);
        app.Process.OutputDataReceived += (_, e) => app.Append(e.Data);
        app.Process.ErrorDataReceived += (_, e) => app.Append(e.Data);
        app.Process.BeginOutputReadLine();
        app.Process.BeginErrorReadLine();
        return app;
    }

    /// <summary>The server's program, built next to the tests.</summary>
    public static string ServerDll => Path.Combine(AppContext.BaseDirectory, "backup-server.dll");

    /// <summary>Switches the server's own timers off, as AzureWebJobs.{Name}.Disabled does on Azure.</summary>
    public static void DisableTimers(IDictionary<string, string?> environment)
    {
        foreach (var timer in new[] { "ScheduleTick", "Reconcile", "MaintenanceTick" })
        {
            environment[$"AzureWebJobs.{timer}.Disabled"] = "true";
        }
    }

    /// <summary>Fires a timer now through the admin route (with the API key unless told otherwise).</summary>
    public Task<HttpResponseMessage> FireTimerAsync(string timer, string? body = null, string? key = ApiKey) =>
        SendAsync(HttpMethod.Post, "/admin/functions/" + timer, body, key);

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>Waits until the app answers its health probe.</summary>
    public async Task WaitReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                (await Http.GetAsync("/")).EnsureSuccessStatusCode();
                return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline && !Process.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>A request with the API key (or <paramref name="key"/>) in x-functions-key.</summary>
    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? body = null, string? key = ApiKey)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        if (key is not null)
        {
            request.Headers.Add("x-functions-key", key);
        }
        return Http.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
        }
    }
}
