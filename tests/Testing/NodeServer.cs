using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Serverless.Backup.Testing;

/// <summary>An npm-installed test server (Azurite, s3rver) on a free loopback port with a temporary folder.</summary>
public abstract class NodeServer : IAsyncDisposable
{
    private Process? _process;
    private readonly StringBuilder _output = new();

    protected NodeServer(string purpose)
    {
        Folder = TestEnvironment.TempFolder(purpose);
        Port = TestEnvironment.FreePort();
    }

    public int Port { get; }
    protected string Folder { get; }

    protected async Task StartAsync(string tool, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(TestEnvironment.NodeTool(tool)) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        _process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start");
        _process.OutputDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        _process.ErrorDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", Port, cancellationToken);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(100, cancellationToken);
            }
            catch (SocketException)
            {
                lock (_output)
                {
                    throw new InvalidOperationException($"{tool} did not listen on {Port}: {_output}");
                }
            }
        }
    }

    /// <summary>Stops the server (for tests of an endpoint that goes away); DisposeAsync also cleans up.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
        GC.SuppressFinalize(this);
    }
}

/// <summary>Azurite's blob service (npm azurite) on loopback.</summary>
public sealed class AzuriteServer : NodeServer
{
    public const string Account = "devstoreaccount1";
    public const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private AzuriteServer() : base("azurite")
    {
    }

    public string Endpoint => $"http://127.0.0.1:{Port}/{Account}";

    public static async Task<AzuriteServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var server = new AzuriteServer();
        await server.StartAsync("azurite-blob",
            ["--blobHost", "127.0.0.1", "--blobPort", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--location", server.Folder, "--silent", "--skipApiVersionCheck", "--loose", "--disableProductStyleUrl"],
            cancellationToken);
        return server;
    }
}

/// <summary>s3rver (npm) on loopback, plain HTTP, path-style, keys S3RVER/S3RVER.</summary>
public sealed class S3rverServer : NodeServer
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    private S3rverServer() : base("s3rver")
    {
    }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    public static async Task<S3rverServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var server = new S3rverServer();
        await server.StartAsync("s3rver",
            ["--address", "127.0.0.1", "--port", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--directory", server.Folder, "--silent"],
            cancellationToken);
        return server;
    }
}
