using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Serverless.Backup.Testing;

/// <summary>
/// A loopback TCP proxy in front of a test storage server (Azurite, s3rver) that injects the faults a real object
/// store shows, switchable at any moment while a run uses it: the switch applies to new connections and to the
/// open ones at once. Point the runner's AZURE_ENDPOINT or S3_ENDPOINT at <see cref="Port"/>.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private static readonly TaskCompletionSource Flowing = Completed();

    private readonly int _target;
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly Lock _lock = new();
    private TcpListener? _listener;
    private TaskCompletionSource _flowing = Flowing;
    private StorageFault _fault;
    private int _accepted;

    private FaultProxy(int target, int port)
    {
        _target = target;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Connections accepted so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Starts a proxy on a free loopback port in front of 127.0.0.1:<paramref name="targetPort"/>, passing everything.</summary>
    public static FaultProxy Start(int targetPort)
    {
        var proxy = new FaultProxy(targetPort, TestEnvironment.FreePort());
        proxy.Listen();
        return proxy;
    }

    /// <summary>The URL with the target's port replaced by the proxy's.</summary>
    public string Rewrite(string url) => url.Replace($":{_target}", $":{Port}", StringComparison.Ordinal);

    public StorageFault Fault
    {
        get => _fault;
        set
        {
            lock (_lock)
            {
                var before = _fault;
                _fault = value;
                if (value == StorageFault.Stall)
                {
                    if (_flowing.Task.IsCompleted)
                    {
                        _flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    }
                }
                else
                {
                    var stalled = _flowing;
                    _flowing = Flowing;
                    stalled.TrySetResult();
                }
                if (value is StorageFault.Reset or StorageFault.Unavailable or StorageFault.Down)
                {
                    foreach (var socket in _open.Keys)
                    {
                        Reset(socket);
                    }
                }
                if (value == StorageFault.Down)
                {
                    _listener?.Stop();
                    _listener = null;
                }
                else if (before == StorageFault.Down)
                {
                    Listen();
                }
            }
        }
    }

    private void Listen()
    {
        var listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        _listener = listener;
        _ = AcceptAsync(listener);
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped
            }
            Interlocked.Increment(ref _accepted);
            _open[client] = 0;
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        Socket? server = null;
        try
        {
            // A connection that comes in during a stall waits, then gets whatever the proxy does by then.
            await CurrentGate();
            switch (_fault)
            {
                case StorageFault.Reset or StorageFault.Down:
                    Reset(client);
                    return;
                case StorageFault.Unavailable:
                    await AnswerUnavailableAsync(client);
                    return;
            }
            server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await server.ConnectAsync(IPAddress.Loopback, _target);
            _open[server] = 0;
            await Task.WhenAny(PumpAsync(client, server), PumpAsync(server, client));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            // The other side went away, or the proxy reset the connection.
        }
        finally
        {
            Close(client);
            if (server is not null)
            {
                Close(server);
            }
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            await CurrentGate();
            var read = await from.ReceiveAsync(buffer, SocketFlags.None);
            // Bytes read just before a stall are held too, and so is the end of the stream.
            await CurrentGate();
            if (read == 0)
            {
                to.Shutdown(SocketShutdown.Send);
                return;
            }
            await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
        }
    }

    /// <summary>Reads the request's head and answers 503 as a busy Azure or S3 endpoint does, then closes.</summary>
    private static async Task AnswerUnavailableAsync(Socket client)
    {
        var buffer = new byte[64 * 1024];
        var head = new StringBuilder();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await client.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (read == 0)
            {
                return;
            }
            head.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        const string body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>ServerBusy</Code><Message>The server is busy (a fault the test proxy injects).</Message></Error>";
        var response = $"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\nx-ms-error-code: ServerBusy\r\nRetry-After: 1\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}";
        await client.SendAsync(Encoding.ASCII.GetBytes(response), SocketFlags.None);
        client.Shutdown(SocketShutdown.Send);
        // Let the client finish sending a body it had started, so it reads the answer rather than a reset.
        try
        {
            while (await client.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0)
            {
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private Task CurrentGate()
    {
        lock (_lock)
        {
            return _flowing.Task;
        }
    }

    private void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        Close(socket);
    }

    private void Close(Socket socket)
    {
        _open.TryRemove(socket, out _);
        socket.Dispose();
    }

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource();
        done.SetResult();
        return done;
    }

    public ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            _listener?.Stop();
            _listener = null;
            foreach (var socket in _open.Keys)
            {
                Reset(socket);
            }
            var stalled = _flowing;
            _flowing = Flowing;
            stalled.TrySetResult();
        }
        return ValueTask.CompletedTask;
    }
}
