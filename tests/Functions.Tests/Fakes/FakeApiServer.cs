using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests.Fakes;

/// <summary>
/// A Kubernetes API server for the paths the app uses, on Kestrel at 127.0.0.1 and a free port. It keeps the
/// semantics the app relies on: resourceVersion increments and 409 on a stale update or an existing name, 404,
/// the status subresource (spec changes on /status are ignored and status changes on the main resource too),
/// label selectors on list, and cascading delete through owner references.
/// </summary>
public sealed class FakeApiServer : IAsyncDisposable
{
    private readonly object gate = new();
    private readonly Dictionary<(string Prefix, string Plural, string Namespace, string Name), JsonObject> objects = [];
    private readonly WebApplication app;
    private long version = 1;

    /// <summary>
    /// The Job controller: called with each Job the API server accepts (outside its lock). Tests that run Jobs
    /// set it to start the real runner with the Job's environment.
    /// </summary>
    public Action<JsonObject>? OnJobCreated { get; set; }

    /// <summary>Requests by method and path, for the call-count checks.</summary>
    public List<string> Requests { get; } = [];

    public Uri Url { get; }

    private FakeApiServer(WebApplication app, Uri url)
    {
        this.app = app;
        Url = url;
    }

    public static async Task<FakeApiServer> StartAsync()
    {
        var port = TestEnvironment.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var server = new FakeApiServer(app, new Uri($"http://127.0.0.1:{port}"));
        app.Run(server.HandleAsync);
        await app.StartAsync();
        return server;
    }

    public ValueTask DisposeAsync() => app.DisposeAsync();

    /// <summary>Puts an object straight into the store (as kubectl apply would), returning it with its metadata.</summary>
    public JsonObject Seed(string prefix, string plural, JsonObject body)
    {
        lock (gate)
        {
            var ns = body["metadata"]!["namespace"]?.GetValue<string>() ?? "default";
            return Create(prefix, plural, ns, body, keepStatus: true).Item2!;
        }
    }

    /// <summary>Changes a stored object as a controller would (the Job controller writing a Job's status), bumping its resourceVersion.</summary>
    public void Mutate(string prefix, string plural, string ns, string name, Action<JsonObject> change)
    {
        lock (gate)
        {
            var stored = objects[(prefix, plural, ns, name)];
            change(stored);
            stored["metadata"]!["resourceVersion"] = (++version).ToString(CultureInfo.InvariantCulture);
        }
    }

    public void Remove(string prefix, string plural, string ns, string name)
    {
        lock (gate)
        {
            objects.Remove((prefix, plural, ns, name));
        }
    }

    public int Count(string plural)
    {
        lock (gate)
        {
            return objects.Keys.Count(k => k.Plural == plural);
        }
    }

    public JsonObject? Get(string prefix, string plural, string ns, string name)
    {
        lock (gate)
        {
            return objects.TryGetValue((prefix, plural, ns, name), out var o) ? (JsonObject)o.DeepClone() : null;
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value!.Trim('/').Split('/');
        lock (gate)
        {
            Requests.Add($"{context.Request.Method} {context.Request.Path}");
        }
        // api/v1/... or apis/{group}/{version}/...
        int at;
        string prefix;
        if (path.Length >= 2 && path[0] == "api")
        {
            prefix = "api/" + path[1];
            at = 2;
        }
        else if (path.Length >= 3 && path[0] == "apis")
        {
            prefix = $"apis/{path[1]}/{path[2]}";
            at = 3;
        }
        else
        {
            await Write(context, 404, Status(404, "NotFound", "no such path"));
            return;
        }
        string? ns = null;
        if (path.Length > at + 1 && path[at] == "namespaces")
        {
            ns = path[at + 1];
            at += 2;
        }
        if (path.Length <= at)
        {
            await Write(context, 404, Status(404, "NotFound", "no resource"));
            return;
        }
        var plural = path[at];
        var name = path.Length > at + 1 ? path[at + 1] : null;
        var sub = path.Length > at + 2 ? path[at + 2] : null;
        JsonObject? body = null;
        if (context.Request.ContentLength is > 0 || context.Request.Method is "POST" or "PUT")
        {
            body = JsonNode.Parse(await new StreamReader(context.Request.Body).ReadToEndAsync()) as JsonObject;
        }
        (int Code, JsonObject? Body) result;
        lock (gate)
        {
            result = (context.Request.Method, name, sub) switch
            {
                ("GET", null, _) => List(prefix, plural, ns, context.Request.Query["labelSelector"].ToString()),
                ("POST", null, _) when ns is not null && body is not null => Create(prefix, plural, ns, body, keepStatus: false),
                ("GET", not null, _) when ns is not null => Read(prefix, plural, ns, name),
                ("PUT", not null, null) when ns is not null && body is not null => Replace(prefix, plural, ns, name, body, status: false),
                ("PUT", not null, "status") when ns is not null && body is not null => Replace(prefix, plural, ns, name, body, status: true),
                ("DELETE", not null, null) when ns is not null => Delete(prefix, plural, ns, name),
                _ => (405, Status(405, "MethodNotAllowed", $"{context.Request.Method} {context.Request.Path}")),
            };
        }
        if (result.Code == 201 && plural == "jobs" && OnJobCreated is { } controller)
        {
            controller(result.Body!);
        }
        await Write(context, result.Code, result.Body);
    }

    private (int, JsonObject?) List(string prefix, string plural, string? ns, string selector)
    {
        var wanted = selector.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).ToList();
        var items = new JsonArray();
        foreach (var (key, value) in objects.Where(kv => kv.Key.Prefix == prefix && kv.Key.Plural == plural && (ns is null || kv.Key.Namespace == ns)).OrderBy(kv => kv.Key.Name, StringComparer.Ordinal))
        {
            var labels = value["metadata"]?["labels"] as JsonObject;
            if (wanted.All(w => labels?[w[0]]?.GetValue<string>() == (w.Length > 1 ? w[1] : labels?[w[0]]?.GetValue<string>())))
            {
                items.Add(value.DeepClone());
            }
        }
        return (200, new JsonObject
        {
            ["apiVersion"] = prefix.Replace("apis/", "", StringComparison.Ordinal).Replace("api/", "", StringComparison.Ordinal),
            ["kind"] = "List",
            ["metadata"] = new JsonObject { ["resourceVersion"] = version.ToString(CultureInfo.InvariantCulture) },
            ["items"] = items,
        });
    }

    private (int, JsonObject?) Create(string prefix, string plural, string ns, JsonObject body, bool keepStatus)
    {
        var metadata = body["metadata"] as JsonObject ?? new JsonObject();
        var name = metadata["name"]?.GetValue<string>();
        if (string.IsNullOrEmpty(name))
        {
            return (422, Status(422, "Invalid", "metadata.name: Required value"));
        }
        if (objects.ContainsKey((prefix, plural, ns, name)))
        {
            return (409, Status(409, "AlreadyExists", $"{plural} \"{name}\" already exists"));
        }
        var stored = (JsonObject)body.DeepClone();
        if (!keepStatus && plural != "secrets" && plural != "jobs")
        {
            stored.Remove("status");
        }
        var meta = (JsonObject)stored["metadata"]!;
        meta["namespace"] = ns;
        meta["uid"] = Guid.NewGuid().ToString();
        meta["resourceVersion"] = (++version).ToString(CultureInfo.InvariantCulture);
        meta["creationTimestamp"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        objects[(prefix, plural, ns, name)] = stored;
        return (201, (JsonObject)stored.DeepClone());
    }

    private (int, JsonObject?) Read(string prefix, string plural, string ns, string name) =>
        objects.TryGetValue((prefix, plural, ns, name), out var o) ? (200, (JsonObject)o.DeepClone()) : (404, Status(404, "NotFound", $"{plural} \"{name}\" not found"));

    private (int, JsonObject?) Replace(string prefix, string plural, string ns, string name, JsonObject body, bool status)
    {
        if (!objects.TryGetValue((prefix, plural, ns, name), out var stored))
        {
            return (404, Status(404, "NotFound", $"{plural} \"{name}\" not found"));
        }
        var given = body["metadata"]?["resourceVersion"]?.GetValue<string>();
        if (!string.IsNullOrEmpty(given) && given != stored["metadata"]!["resourceVersion"]!.GetValue<string>())
        {
            return (409, Status(409, "Conflict", $"Operation cannot be fulfilled on {plural} \"{name}\": the object has been modified; please apply your changes to the latest version and try again"));
        }
        JsonObject next;
        if (status)
        {
            next = (JsonObject)stored.DeepClone();
            next["status"] = body["status"]?.DeepClone();
        }
        else
        {
            next = (JsonObject)body.DeepClone();
            next["status"] = stored["status"]?.DeepClone();
            var meta = (JsonObject)next["metadata"]!;
            foreach (var key in new[] { "uid", "creationTimestamp", "namespace" })
            {
                meta[key] = stored["metadata"]![key]?.DeepClone();
            }
        }
        next["metadata"]!["resourceVersion"] = (++version).ToString(CultureInfo.InvariantCulture);
        objects[(prefix, plural, ns, name)] = next;
        return (200, (JsonObject)next.DeepClone());
    }

    private (int, JsonObject?) Delete(string prefix, string plural, string ns, string name)
    {
        if (!objects.Remove((prefix, plural, ns, name), out var removed))
        {
            return (404, Status(404, "NotFound", $"{plural} \"{name}\" not found"));
        }
        var uids = new Queue<string>([removed["metadata"]!["uid"]!.GetValue<string>()]);
        while (uids.TryDequeue(out var uid))
        {
            foreach (var key in objects.Where(kv => kv.Value["metadata"]?["ownerReferences"] is JsonArray owners && owners.Any(o => o?["uid"]?.GetValue<string>() == uid)).Select(kv => kv.Key).ToList())
            {
                uids.Enqueue(objects[key]["metadata"]!["uid"]!.GetValue<string>());
                objects.Remove(key);
            }
        }
        return (200, Status(200, "Success", "deleted"));
    }

    private static JsonObject Status(int code, string reason, string message) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["status"] = code < 400 ? "Success" : "Failure",
        ["reason"] = reason,
        ["message"] = message,
        ["code"] = code,
    };

    private static async Task Write(HttpContext context, int code, JsonObject? body)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body?.ToJsonString() ?? "{}");
    }
}
