using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Serverless.Backup.Runner.Logging;

namespace Serverless.Backup.Runner.Storage;

/// <summary>
/// restic's REST backend protocol (v1 and v2) on 127.0.0.1, over an <see cref="IObjectStore"/>. Like restic's
/// rest-server it checks that each uploaded object's SHA-256 matches its name (config excepted) and never
/// overwrites an object: a repeated upload of a content-addressed object is answered 200 without writing (its
/// content is the same by its name), which makes restic's own retries idempotent; a second config is refused.
/// Storage errors answer 500, so restic retries too, on top of the SDK's retries.
/// </summary>
/// <remarks>
/// The server speaks the HTTP/1.1 that restic's client uses (requests with a Content-Length, keep-alive) on plain
/// sockets: an upload's body is received straight into the store's upload block with reads as large as the socket
/// holds, where a general-purpose server reads 4 KiB at a time into its own buffers and copies them out again.
/// On a one-core budget that was most of the runner's CPU beyond the hashing (<c>docs/benchmarks.md</c>).
/// </remarks>
public sealed class RestBackendServer : IAsyncDisposable
{
    private const string V2 = "application/vnd.x.restic.rest.v2";
    private static readonly HashSet<string> Types = ["data", "keys", "locks", "snapshots", "index"];

    /// <summary>restic sends packs of a few MiB; Kestrel's limit here was the same.</summary>
    private const long MaxBodySize = 1L << 30;

    private readonly Socket _listener;
    private readonly IObjectStore _store;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _connections = [];
    private Task _accepting = Task.CompletedTask;
    private long _bytesUploaded;
    private long _bytesDownloaded;
    private int _inFlight;
    // Lock objects restic processes of this runner tried to create: once those processes have ended, any of them
    // still in the storage is a lock this run left behind.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _locksTried = new(StringComparer.Ordinal);

    private RestBackendServer(Socket listener, IObjectStore store, ILogger log)
    {
        _listener = listener;
        _store = store;
        _log = log;
        ResticRepository = $"rest:http://127.0.0.1:{((IPEndPoint)listener.LocalEndPoint!).Port}/";
    }

    /// <summary>The repository URL for restic: rest:http://127.0.0.1:PORT/</summary>
    public string ResticRepository { get; }

    /// <summary>The names of the lock objects restic processes of this runner tried to create.</summary>
    public IReadOnlyCollection<string> LocksTried => [.. _locksTried.Keys];

    /// <summary>
    /// Waits until no request is being served (at most <paramref name="timeout"/>): a request restic sent just before
    /// it was interrupted may still be writing to the storage after restic has exited.
    /// </summary>
    public async Task WaitIdleAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Volatile.Read(ref _inFlight) > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, cancellationToken);
        }
    }

    public long BytesUploaded => Interlocked.Read(ref _bytesUploaded);
    public long BytesDownloaded => Interlocked.Read(ref _bytesDownloaded);

    public static Task<RestBackendServer> StartAsync(IObjectStore store, ILogger log, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(16);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        var server = new RestBackendServer(listener, store, log);
        server._accepting = Task.Run(server.AcceptAsync, CancellationToken.None);
        return Task.FromResult(server);
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            socket.NoDelay = true;
            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(Task.Run(() => ServeAsync(socket), CancellationToken.None));
            }
        }
    }

    /// <summary>One keep-alive connection: requests one after another until the client closes it or an error.</summary>
    private async Task ServeAsync(Socket socket)
    {
        using var _ = socket;
        var connection = new Connection(socket);
        Request? request = null;
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                request = await connection.ReadRequestAsync(_stopping.Token);
                if (request is null)
                {
                    return;
                }
                Interlocked.Increment(ref _inFlight);
                bool keepAlive;
                try
                {
                    keepAlive = await RespondAsync(connection, request);
                }
                finally
                {
                    Interlocked.Decrement(ref _inFlight);
                }
                if (!keepAlive)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or BadRequestException)
        {
            // The client went away, sent something that is not HTTP, or the server is stopping: drop the connection.
            if (e is BadRequestException bad)
            {
                await connection.TryWriteAsync(Reply.Text(400, bad.Message), keepAlive: false);
            }
        }
        catch (Exception e)
        {
            // The store failed in the middle of a download: the client sees the body end early, and retries.
            _log.StorageRequestFailed(request?.Method ?? "", request?.Path ?? "", _store.Description, e.Message.Split('\n')[0]);
        }
    }

    private async Task<bool> RespondAsync(Connection connection, Request request)
    {
        if (request.ContentLength > MaxBodySize)
        {
            await connection.WriteAsync(Reply.Text(413, "the body is too large"), keepAlive: false, _stopping.Token);
            return false;
        }
        var stopping = _stopping.Token;
        if (request.ExpectContinue)
        {
            await connection.SendContinueAsync(stopping);
        }
        var body = new RequestBody(connection, request.ContentLength);
        Reply reply;
        try
        {
            reply = await Route(request, body, stopping);
        }
        catch (ObjectNotFoundException)
        {
            reply = Reply.Empty(404);
        }
        catch (Exception e) when ((e is IOException or SocketException) && body.Failed)
        {
            // The client went away while sending the body: nothing was stored, and nobody is left to answer.
            throw;
        }
        catch (Exception e) when (!_stopping.IsCancellationRequested)
        {
            // restic retries (and the run's storage watchdog decides when to stop): a warning, not the run's end.
            _log.StorageRequestFailed(request.Method, request.Path, _store.Description, e.Message.Split('\n')[0]);
            reply = Reply.Text(500, e.Message.Split('\n')[0]);
        }
        // A body the handler did not read (a refusal before reading) is skipped when it is small; otherwise the
        // connection closes, as the client may not be listening before it has sent everything.
        var keepAlive = request.KeepAlive && await body.TrySkipRestAsync(stopping);
        if (reply.Content is { } stream)
        {
            await using (stream)
            {
                await connection.WriteStreamAsync(reply, stream, keepAlive, n => Interlocked.Add(ref _bytesDownloaded, n), stopping);
            }
        }
        else
        {
            await connection.WriteAsync(reply, keepAlive, stopping);
        }
        return keepAlive;
    }

    private Task<Reply> Route(Request request, RequestBody body, CancellationToken ct)
    {
        var path = request.Path;
        var method = request.Method;
        if (path == "/")
        {
            return method == "POST" ? CreateAsync(request, ct) : Task.FromResult(Reply.Empty(405));
        }
        if (path == "/config")
        {
            return method switch
            {
                "HEAD" => HeadAsync("config", ct),
                "GET" => GetAsync(request, "config", ct),
                "POST" => PostAsync(body, "config", null, ct),
                _ => Task.FromResult(Reply.Empty(405)),
            };
        }
        var parts = path.Split('/');
        if (parts.Length == 3 && parts[0].Length == 0 && parts[1].Length > 0 && parts[2].Length == 0)
        {
            return method == "GET" ? ListAsync(request, parts[1], ct) : Task.FromResult(Reply.Empty(405));
        }
        if (parts.Length == 3 && parts[0].Length == 0 && parts[1].Length > 0 && parts[2].Length > 0)
        {
            var (type, name) = (parts[1], parts[2]);
            if (Key(type, name) is not { } key)
            {
                return Task.FromResult(BadName(type, name));
            }
            return method switch
            {
                "HEAD" => HeadAsync(key, ct),
                "GET" => GetAsync(request, key, ct),
                "POST" => PostAsync(body, key, name, ct),
                "DELETE" => DeleteAsync(key, ct),
                _ => Task.FromResult(Reply.Empty(405)),
            };
        }
        return Task.FromResult(Reply.Empty(404));
    }

    private async Task<Reply> CreateAsync(Request request, CancellationToken ct)
    {
        if (request.Query.Split('&').Contains("create=true"))
        {
            await _store.EnsureContainerAsync(ct);
        }
        return Reply.Empty(200);
    }

    private async Task<Reply> DeleteAsync(string key, CancellationToken ct) =>
        await _store.DeleteAsync(key, ct) ? Reply.Empty(200) : Reply.Empty(404);

    /// <summary>restic's layout: data objects in 256 sub-folders by their first two hex digits.</summary>
    private static string? Key(string type, string name) =>
        !Types.Contains(type) || name.Length != 64 || !name.All(char.IsAsciiHexDigitLower)
            ? null
            : type == "data" ? $"data/{name[..2]}/{name}" : $"{type}/{name}";

    private static Reply BadName(string type, string name) =>
        Reply.Text(400, $"'{type}/{name}' is not an object of a restic repository");

    private async Task<Reply> HeadAsync(string key, CancellationToken cancellationToken)
    {
        var size = await _store.GetSizeAsync(key, cancellationToken);
        return size is { } n ? Reply.Head(n) : Reply.Empty(404);
    }

    private async Task<Reply> GetAsync(Request request, string key, CancellationToken cancellationToken)
    {
        var (offset, length) = ParseRange(request.Range);
        var stream = await _store.OpenReadAsync(key, offset, length, cancellationToken);
        return Reply.Streamed(length is null && offset == 0 ? 200 : 206, stream);
    }

    private async Task<Reply> PostAsync(RequestBody body, string key, string? name, CancellationToken cancellationToken)
    {
        if (key.StartsWith("locks/", StringComparison.Ordinal) && name is not null)
        {
            _locksTried[name] = 0;
        }
        // The store streams the body and checks that it hashes to its name before anything becomes visible.
        try
        {
            var created = await _store.TryCreateAsync(key, body, body.Length, name, cancellationToken);
            if (created)
            {
                Interlocked.Add(ref _bytesUploaded, body.Length);
                return Reply.Empty(200);
            }
            return name is null
                ? Reply.Text(403, "the repository already has a config: it is never overwritten")
                : Reply.Empty(200);
        }
        catch (ContentMismatchException e)
        {
            return Reply.Text(400, $"the body's SHA-256 is {e.Actual}, not {name}");
        }
    }

    private async Task<Reply> ListAsync(Request request, string type, CancellationToken cancellationToken)
    {
        if (!Types.Contains(type))
        {
            return Reply.Text(400, $"'{type}' is not an object type of a restic repository");
        }
        var entries = new List<(string Name, long Size)>();
        await foreach (var item in _store.ListAsync(type + "/", cancellationToken))
        {
            var name = item.Key[(item.Key.LastIndexOf('/') + 1)..];
            if (Key(type, name) == item.Key)
            {
                entries.Add((name, item.Size));
            }
        }
        if (request.Accept.Contains(V2, StringComparison.Ordinal))
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(entries.Select(e => new Dictionary<string, object> { ["name"] = e.Name, ["size"] = e.Size }));
            return Reply.Bytes(200, json, V2);
        }
        return Reply.Bytes(200, JsonSerializer.SerializeToUtf8Bytes(entries.Select(e => e.Name)), "application/vnd.x.restic.rest.v1");
    }

    private static (long Offset, long? Length) ParseRange(string header)
    {
        // restic sends "bytes=start-end" (end inclusive) or "bytes=start-".
        if (!header.StartsWith("bytes=", StringComparison.Ordinal))
        {
            return (0, null);
        }
        var parts = header[6..].Split('-', 2);
        var start = long.Parse(parts[0], CultureInfo.InvariantCulture);
        return parts.Length == 2 && parts[1].Length > 0
            ? (start, long.Parse(parts[1], CultureInfo.InvariantCulture) - start + 1)
            : (start, null);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Dispose();
        await _accepting;
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }
        await Task.WhenAll(connections);
        _stopping.Dispose();
        (_store as IDisposable)?.Dispose();
    }

    /// <summary>What a request asked for: the parts of HTTP/1.1 this protocol uses.</summary>
    private sealed record Request(string Method, string Path, string Query, long ContentLength, string Range, string Accept, bool KeepAlive, bool ExpectContinue);

    private sealed class BadRequestException(string message) : Exception(message);

    /// <summary>An answer: a status with no body, a small body in hand, the length of a HEAD, or a stream to send chunked.</summary>
    private sealed record Reply(int Status, string? ContentType, ReadOnlyMemory<byte> Body, long? HeadLength, Stream? Content)
    {
        public static Reply Empty(int status) => new(status, null, ReadOnlyMemory<byte>.Empty, null, null);
        public static Reply Text(int status, string text) => new(status, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(text), null, null);
        public static Reply Bytes(int status, byte[] body, string contentType) => new(status, contentType, body, null, null);
        public static Reply Head(long length) => new(200, null, ReadOnlyMemory<byte>.Empty, length, null);
        public static Reply Streamed(int status, Stream content) => new(status, "application/octet-stream", ReadOnlyMemory<byte>.Empty, null, content);
    }

    /// <summary>
    /// One client connection: a small buffer for request heads (and whatever body bytes arrive with them), and the
    /// socket, which a request body reads directly into the caller's buffer.
    /// </summary>
    private sealed class Connection(Socket socket)
    {
        private const int MaxHead = 32 * 1024;
        private readonly byte[] _head = new byte[MaxHead];
        private int _start;
        private int _end;

        public Socket Socket => socket;

        /// <summary>Bytes already received after the current request's head.</summary>
        public int Buffered => _end - _start;

        /// <summary>Moves buffered bytes into <paramref name="destination"/>, as many as fit.</summary>
        public int TakeBuffered(Span<byte> destination)
        {
            var n = Math.Min(destination.Length, Buffered);
            _head.AsSpan(_start, n).CopyTo(destination);
            _start += n;
            return n;
        }

        /// <summary>The next request's head, or null when the client closed the connection between requests.</summary>
        public async Task<Request?> ReadRequestAsync(CancellationToken cancellationToken)
        {
            if (_start == _end)
            {
                _start = _end = 0;
            }
            int headEnd;
            while ((headEnd = _head.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8)) < 0)
            {
                if (_start > 0)
                {
                    // Keep what is left of the buffer at its start, to receive the rest of the head after it.
                    _head.AsSpan(_start, _end - _start).CopyTo(_head);
                    _end -= _start;
                    _start = 0;
                }
                if (_end == _head.Length)
                {
                    throw new BadRequestException("the request head is too large");
                }
                var read = await socket.ReceiveAsync(_head.AsMemory(_end), SocketFlags.None, cancellationToken);
                if (read == 0)
                {
                    if (_end > 0)
                    {
                        throw new IOException("the client closed the connection in the middle of a request");
                    }
                    return null;
                }
                _end += read;
            }
            var head = Encoding.Latin1.GetString(_head, _start, headEnd);
            _start += headEnd + 4;
            return Parse(head);
        }

        private static Request Parse(string head)
        {
            var lines = head.Split("\r\n");
            var requestLine = lines[0].Split(' ');
            if (requestLine.Length != 3 || !requestLine[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
            {
                throw new BadRequestException("not an HTTP/1.1 request");
            }
            var target = requestLine[1];
            var question = target.IndexOf('?');
            var path = Uri.UnescapeDataString(question < 0 ? target : target[..question]);
            var query = question < 0 ? "" : target[(question + 1)..];
            long length = 0;
            string range = "", accept = "";
            var keepAlive = requestLine[2] == "HTTP/1.1";
            var expectContinue = false;
            foreach (var line in lines.AsSpan(1))
            {
                var colon = line.IndexOf(':');
                if (colon <= 0)
                {
                    throw new BadRequestException("a malformed header line");
                }
                var name = line[..colon].Trim();
                var value = line[(colon + 1)..].Trim();
                if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out length))
                    {
                        throw new BadRequestException("a malformed Content-Length");
                    }
                }
                else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
                {
                    // restic always sends the length of what it uploads.
                    throw new BadRequestException("request bodies need a Content-Length");
                }
                else if (name.Equals("Range", StringComparison.OrdinalIgnoreCase))
                {
                    range = value;
                }
                else if (name.Equals("Accept", StringComparison.OrdinalIgnoreCase))
                {
                    accept = value;
                }
                else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
                {
                    if (value.Contains("close", StringComparison.OrdinalIgnoreCase))
                    {
                        keepAlive = false;
                    }
                    else if (value.Contains("keep-alive", StringComparison.OrdinalIgnoreCase))
                    {
                        keepAlive = true;
                    }
                }
                else if (name.Equals("Expect", StringComparison.OrdinalIgnoreCase) && value.Equals("100-continue", StringComparison.OrdinalIgnoreCase))
                {
                    expectContinue = true;
                }
            }
            return new Request(requestLine[0], path, query, length, range, accept, keepAlive, expectContinue);
        }

        private static byte[] Head(Reply reply, bool keepAlive, bool chunked)
        {
            var text = new StringBuilder(160);
            text.Append("HTTP/1.1 ").Append(reply.Status.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(Reason(reply.Status)).Append("\r\n");
            if (reply.ContentType is { } type)
            {
                text.Append("Content-Type: ").Append(type).Append("\r\n");
            }
            if (chunked)
            {
                text.Append("Transfer-Encoding: chunked\r\n");
            }
            else
            {
                text.Append("Content-Length: ").Append((reply.HeadLength ?? reply.Body.Length).ToString(CultureInfo.InvariantCulture)).Append("\r\n");
            }
            if (!keepAlive)
            {
                text.Append("Connection: close\r\n");
            }
            text.Append("\r\n");
            return Encoding.Latin1.GetBytes(text.ToString());
        }

        private static string Reason(int status) => status switch
        {
            200 => "OK",
            206 => "Partial Content",
            400 => "Bad Request",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            413 => "Content Too Large",
            _ => "Internal Server Error",
        };

        public async Task WriteAsync(Reply reply, bool keepAlive, CancellationToken cancellationToken)
        {
            var head = Head(reply, keepAlive, chunked: false);
            if (reply.Body.IsEmpty)
            {
                await SendAllAsync(head, cancellationToken);
                return;
            }
            var whole = new byte[head.Length + reply.Body.Length];
            head.CopyTo(whole, 0);
            reply.Body.CopyTo(whole.AsMemory(head.Length));
            await SendAllAsync(whole, cancellationToken);
        }

        public Task SendContinueAsync(CancellationToken cancellationToken) =>
            SendAllAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), cancellationToken);

        public async Task TryWriteAsync(Reply reply, bool keepAlive)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await WriteAsync(reply, keepAlive, timeout.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client is gone.
            }
        }

        /// <summary>
        /// Sends a stream chunked (its length is not known in advance): each chunk's size line, data and end in one
        /// send, read into one buffer that leaves room around the data for the framing.
        /// </summary>
        public async Task WriteStreamAsync(Reply reply, Stream content, bool keepAlive, Action<int> counted, CancellationToken cancellationToken)
        {
            await SendAllAsync(Head(reply, keepAlive, chunked: true), cancellationToken);
            const int Room = 10; // "ffffffff\r\n"
            const int ChunkSize = 256 * 1024;
            var buffer = ArrayPool<byte>.Shared.Rent(Room + ChunkSize + 2);
            try
            {
                int read;
                while ((read = await content.ReadAsync(buffer.AsMemory(Room, ChunkSize), cancellationToken)) > 0)
                {
                    var size = Encoding.ASCII.GetBytes(read.ToString("x", CultureInfo.InvariantCulture) + "\r\n");
                    var start = Room - size.Length;
                    size.CopyTo(buffer, start);
                    buffer[Room + read] = (byte)'\r';
                    buffer[Room + read + 1] = (byte)'\n';
                    await SendAllAsync(buffer.AsMemory(start, size.Length + read + 2), cancellationToken);
                    counted(read);
                }
                await SendAllAsync("0\r\n\r\n"u8.ToArray(), cancellationToken);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private async Task SendAllAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            while (!data.IsEmpty)
            {
                var sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken);
                data = data[sent..];
            }
        }
    }

    /// <summary>
    /// A request's body: the bytes that came with the head, then reads from the socket straight into the caller's
    /// buffer, never past the Content-Length.
    /// </summary>
    private sealed class RequestBody(Connection connection, long length) : Stream
    {
        private readonly long _length = length;
        private long _remaining = length;

        /// <summary>The socket failed or closed before the whole body arrived.</summary>
        public bool Failed { get; private set; }

        public override long Length => _length;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Position { get => _length - _remaining; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_remaining <= 0 || buffer.IsEmpty)
            {
                return 0;
            }
            var want = (int)Math.Min(buffer.Length, _remaining);
            int read;
            if (connection.Buffered > 0)
            {
                read = connection.TakeBuffered(buffer.Span[..want]);
            }
            else
            {
                try
                {
                    read = await connection.Socket.ReceiveAsync(buffer[..want], SocketFlags.None, cancellationToken);
                }
                catch (SocketException)
                {
                    Failed = true;
                    throw;
                }
                if (read == 0)
                {
                    Failed = true;
                    throw new IOException($"the client closed the connection with {_remaining} bytes of the body still to come");
                }
            }
            _remaining -= read;
            return read;
        }

        /// <summary>Reads and drops what the handler left of the body, when that is little; false to close instead.</summary>
        public async Task<bool> TrySkipRestAsync(CancellationToken cancellationToken)
        {
            if (Failed)
            {
                return false;
            }
            if (_remaining == 0)
            {
                return true;
            }
            if (_remaining > 1024 * 1024)
            {
                return false;
            }
            var scratch = new byte[(int)_remaining];
            try
            {
                while (await ReadAsync(scratch, cancellationToken) > 0)
                {
                }
                return true;
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                return false;
            }
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
