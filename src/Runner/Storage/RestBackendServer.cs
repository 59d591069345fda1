using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
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
public sealed class RestBackendServer : IAsyncDisposable
{
    private const string V2 = "application/vnd.x.restic.rest.v2";
    private static readonly HashSet<string> Types = ["data", "keys", "locks", "snapshots", "index"];

    private readonly WebApplication _app;
    private readonly IObjectStore _store;
    private readonly ILogger _log;
    private long _bytesUploaded;
    private long _bytesDownloaded;
    private int _inFlight;
    // Lock objects restic processes of this runner tried to create: once those processes have ended, any of them
    // still in the storage is a lock this run left behind.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _locksTried = new(StringComparer.Ordinal);

    private RestBackendServer(WebApplication app, IObjectStore store, ILogger log)
    {
        _app = app;
        _store = store;
        _log = log;
    }

    /// <summary>The repository URL for restic: rest:http://127.0.0.1:PORT/</summary>
    public string ResticRepository { get; private set; } = "";

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

    public static async Task<RestBackendServer> StartAsync(IObjectStore store, ILogger log, CancellationToken cancellationToken)
    {
        // No configuration files to watch: the server is configured here, and a file watcher is a thread for nothing.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        // stdout carries the runner's events only.
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            kestrel.Limits.MaxRequestBodySize = 1L << 30;
        });
        var app = builder.Build();
        var server = new RestBackendServer(app, store, log);
        server.Map(app);
        await app.StartAsync(cancellationToken);
        server.ResticRepository = "rest:" + app.Urls.First().TrimEnd('/') + "/";
        return server;
    }

    private void Map(WebApplication app)
    {
        // Plain request delegates: minimal-API handlers would have each endpoint's binding compiled from expression
        // trees at start-up, which costs start time and resident memory and binds nothing this protocol needs.
        Handle(app, "/", "POST", async (context, ct) =>
        {
            if (context.Request.Query["create"] == "true")
            {
                await _store.EnsureContainerAsync(ct);
            }
            return Results.Ok();
        });
        Handle(app, "/config", "HEAD", (_, ct) => HeadAsync("config", ct));
        Handle(app, "/config", "GET", (context, ct) => GetAsync(context, "config", ct));
        Handle(app, "/config", "POST", (context, ct) => PostAsync(context, "config", null, ct));
        Handle(app, "/{type}/", "GET", (context, ct) => ListAsync(context, Route(context, "type"), ct));
        Handle(app, "/{type}/{name}", "HEAD", (context, ct) =>
            Key(context) is { } key ? HeadAsync(key, ct) : Task.FromResult(BadName(context)));
        Handle(app, "/{type}/{name}", "GET", (context, ct) =>
            Key(context) is { } key ? GetAsync(context, key, ct) : Task.FromResult(BadName(context)));
        Handle(app, "/{type}/{name}", "POST", (context, ct) =>
            Key(context) is { } key ? PostAsync(context, key, Route(context, "name"), ct) : Task.FromResult(BadName(context)));
        Handle(app, "/{type}/{name}", "DELETE", async (context, ct) => Key(context) is { } key
            ? await _store.DeleteAsync(key, ct) ? Results.Ok() : Results.NotFound()
            : BadName(context));
    }

    private void Handle(WebApplication app, string pattern, string method, Func<HttpContext, CancellationToken, Task<IResult>> handler) =>
        app.MapMethods(pattern, [method], new Responder(this, handler).RespondAsync);

    private sealed class Responder(RestBackendServer server, Func<HttpContext, CancellationToken, Task<IResult>> handler)
    {
        public async Task RespondAsync(HttpContext context)
        {
            Interlocked.Increment(ref server._inFlight);
            try
            {
                var result = await server.Guard(context, ct => handler(context, ct));
                await result.ExecuteAsync(context);
            }
            finally
            {
                Interlocked.Decrement(ref server._inFlight);
            }
        }
    }

    private static string Route(HttpContext context, string name) => context.Request.RouteValues[name] as string ?? "";

    private static string? Key(HttpContext context) => Key(Route(context, "type"), Route(context, "name"));

    private static IResult BadName(HttpContext context) => BadName(Route(context, "type"), Route(context, "name"));

    /// <summary>restic's layout: data objects in 256 sub-folders by their first two hex digits.</summary>
    private static string? Key(string type, string name) =>
        !Types.Contains(type) || name.Length != 64 || !name.All(char.IsAsciiHexDigitLower)
            ? null
            : type == "data" ? $"data/{name[..2]}/{name}" : $"{type}/{name}";

    private static IResult BadName(string type, string name) =>
        Results.Text($"'{type}/{name}' is not an object of a restic repository", statusCode: 400);

    private async Task<IResult> Guard(HttpContext context, Func<CancellationToken, Task<IResult>> handler)
    {
        try
        {
            return await handler(context.RequestAborted);
        }
        catch (ObjectNotFoundException)
        {
            return Results.NotFound();
        }
        catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
        {
            // restic retries (and the run's storage watchdog decides when to stop): a warning, not the run's end.
            _log.StorageRequestFailed(context.Request.Method, context.Request.Path.Value ?? "", _store.Description, e.Message.Split('\n')[0]);
            return Results.Text(e.Message.Split('\n')[0], statusCode: 500);
        }
    }

    private async Task<IResult> HeadAsync(string key, CancellationToken cancellationToken)
    {
        var size = await _store.GetSizeAsync(key, cancellationToken);
        return size is { } n ? new HeadResult(n) : Results.NotFound();
    }

    private async Task<IResult> GetAsync(HttpContext context, string key, CancellationToken cancellationToken)
    {
        var (offset, length) = ParseRange(context.Request.Headers.Range.ToString());
        var stream = await _store.OpenReadAsync(key, offset, length, cancellationToken);
        return new StreamResult(stream, length is null && offset == 0 ? 200 : 206, n => Interlocked.Add(ref _bytesDownloaded, n));
    }

    private async Task<IResult> PostAsync(HttpContext context, string key, string? name, CancellationToken cancellationToken)
    {
        if (key.StartsWith("locks/", StringComparison.Ordinal) && name is not null)
        {
            _locksTried[name] = 0;
        }
        // The store streams the body and checks that it hashes to its name before anything becomes visible.
        try
        {
            var created = await _store.TryCreateAsync(key, context.Request.Body, context.Request.ContentLength, name, cancellationToken);
            if (created)
            {
                Interlocked.Add(ref _bytesUploaded, context.Request.ContentLength ?? 0);
                return Results.Ok();
            }
            return name is null
                ? Results.Text("the repository already has a config: it is never overwritten", statusCode: 403)
                : Results.Ok();
        }
        catch (ContentMismatchException e)
        {
            return Results.Text($"the body's SHA-256 is {e.Actual}, not {name}", statusCode: 400);
        }
    }

    private async Task<IResult> ListAsync(HttpContext context, string type, CancellationToken cancellationToken)
    {
        if (!Types.Contains(type))
        {
            return Results.Text($"'{type}' is not an object type of a restic repository", statusCode: 400);
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
        if (context.Request.Headers.Accept.ToString().Contains(V2, StringComparison.Ordinal))
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(entries.Select(e => new Dictionary<string, object> { ["name"] = e.Name, ["size"] = e.Size }));
            return Results.Bytes(json, V2);
        }
        return Results.Bytes(JsonSerializer.SerializeToUtf8Bytes(entries.Select(e => e.Name)), "application/vnd.x.restic.rest.v1");
    }

    private static (long Offset, long? Length) ParseRange(string header)
    {
        // restic sends "bytes=start-end" (end inclusive) or "bytes=start-".
        if (!header.StartsWith("bytes=", StringComparison.Ordinal))
        {
            return (0, null);
        }
        var parts = header[6..].Split('-', 2);
        var start = long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
        return parts.Length == 2 && parts[1].Length > 0
            ? (start, long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) - start + 1)
            : (start, null);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        (_store as IDisposable)?.Dispose();
    }

    private sealed class HeadResult(long length) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = 200;
            httpContext.Response.ContentLength = length;
            return Task.CompletedTask;
        }
    }

    private sealed class StreamResult(Stream stream, int status, Action<int> counted) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.ContentType = "application/octet-stream";
            await using (stream)
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await stream.ReadAsync(buffer, httpContext.RequestAborted)) > 0)
                {
                    await httpContext.Response.Body.WriteAsync(buffer.AsMemory(0, read), httpContext.RequestAborted);
                    counted(read);
                }
            }
        }
    }
}
