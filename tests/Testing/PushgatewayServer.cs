using System.Diagnostics;
using System.Net.Sockets;

namespace Serverless.Backup.Testing;

/// <summary>A real Prometheus Pushgateway (Debian prometheus-pushgateway) on a free loopback port.</summary>
public sealed class PushgatewayServer : IAsyncDisposable
{
    private readonly Process _process;

    private PushgatewayServer(Process process, Uri url)
    {
        _process = process;
        Url = url;
    }

    public Uri Url { get; }

    public static async Task<PushgatewayServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var port = TestEnvironment.FreePort();
        var start = new ProcessStartInfo("prometheus-pushgateway")
        {
            ArgumentList = { $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("prometheus-pushgateway did not start: run scripts/install.sh");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PushgatewayServer(process, new Uri($"http://127.0.0.1:{port}/"));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port, cancellationToken);
                return server;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(100, cancellationToken);
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>The Pushgateway's own /metrics, as Prometheus would scrape it.</summary>
    public async Task<string> ScrapeAsync(CancellationToken cancellationToken = default)
    {
        using var http = new HttpClient();
        return await http.GetStringAsync(new Uri(Url, "metrics"), cancellationToken);
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
