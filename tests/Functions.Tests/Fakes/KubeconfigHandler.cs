using System.Diagnostics;
using System.Globalization;
using System.Text;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests.Fakes;

/// <summary>
/// The real server process with BACKUP_CLUSTER=kubeconfig, pointed at the in-process API server through a
/// kubeconfig file, as an AKS deployment would be at its cluster. Its timers are off: tests fire them.
/// </summary>
public sealed class KubeconfigHandler : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private KubeconfigHandler(Process process, HttpClient http)
    {
        _process = process;
        Http = http;
    }

    public HttpClient Http { get; }

    /// <summary>What the handler printed so far (for assertion messages).</summary>
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

    public static async Task<KubeconfigHandler> StartAsync(FakeApiServer server)
    {
        var kubeconfig = Path.Combine(TestEnvironment.TempFolder("kubeconfig"), "config");
        await File.WriteAllTextAsync(kubeconfig, $$"""
            apiVersion: v1
            kind: Config
            clusters: [{ name: fake, cluster: { server: "{{server.Url}}" } }]
            users: [{ name: app, user: { token: test-token } }]
            contexts: [{ name: fake, context: { cluster: fake, user: app } }]
            current-context: fake
            """);
        var port = TestEnvironment.FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(StandaloneApp.ServerDll);
        start.Environment["BACKUP_LISTEN_URL"] = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        start.Environment["BACKUP_API_KEY"] = StandaloneApp.ApiKey;
        StandaloneApp.DisableTimers(start.Environment);
        start.Environment["BACKUP_CLUSTER"] = "kubeconfig";
        start.Environment["BACKUP_KUBECONFIG"] = kubeconfig;
        start.Environment["BACKUP_WEBHOOK_BASE_URL"] = $"http://127.0.0.1:{port}/";
        start.Environment["BACKUP_WEBHOOK_MASTER_KEY"] = FunctionsApp.MasterKey;
        var process = Process.Start(start)!;
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        http.DefaultRequestHeaders.Add("x-functions-key", StandaloneApp.ApiKey);
        var handler = new KubeconfigHandler(process, http);
        process.OutputDataReceived += (_, e) => handler.Append(e.Data);
        process.ErrorDataReceived += (_, e) => handler.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await handler.WaitUntilUpAsync();
        }
        catch
        {
            await handler.DisposeAsync();
            throw;
        }
        return handler;
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>The host's readiness probe: GET / until the handler answers.</summary>
    private async Task WaitUntilUpAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                (await Http.GetAsync("/")).EnsureSuccessStatusCode();
                return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(100);
            }
            catch (HttpRequestException e)
            {
                throw new InvalidOperationException("the handler did not start:\n" + Output, e);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
