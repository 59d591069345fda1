using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Serverless.Backup.Functions.Api;
using Serverless.Backup.Functions.Settings;

namespace Serverless.Backup.Functions.Hosting;

/// <summary>
/// The ASP.NET Core app: a Functions custom handler when the host sets FUNCTIONS_CUSTOMHANDLER_PORT (timers arrive
/// as <c>POST /{FunctionName}</c>, HTTP requests are proxied with their /api path), otherwise standalone on
/// BACKUP_LISTEN_URL with the same routes, an API key on every route the host would protect, and its own timers.
/// </summary>
public static class FunctionsApp
{
    /// <summary>Request bodies above this get 413.</summary>
    public const long MaxBodyBytes = 1024 * 1024;
    public const string KeyHeader = "x-functions-key";

    public static WebApplication Build(FunctionsOptions options, IReadOnlyDictionary<string, TimerHandler> timers, Action<WebApplication>? mapApi = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        var url = options.CustomHandlerPort is { } port ? $"http://127.0.0.1:{port}" : options.ListenUrl;
        builder.WebHost.UseUrls(url);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = MaxBodyBytes);
        var app = builder.Build();

        if (options.Standalone)
        {
            app.Use(async (context, next) =>
            {
                if (RequiresKey(context.Request) && !KeyMatches(context.Request, options.ApiKey!))
                {
                    context.Response.StatusCode = (int)HttpStatusCode.Unauthorized;
                    await context.Response.WriteAsJsonAsync(new { error = $"missing or wrong {KeyHeader} header: send the value of BACKUP_API_KEY" });
                    return;
                }
                await next(context);
            });
        }
        app.Use(async (context, next) =>
        {
            if (context.Request.ContentLength > MaxBodyBytes)
            {
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                await context.Response.WriteAsJsonAsync(new { error = $"the body is over {MaxBodyBytes} bytes: send at most 1 MB" });
                return;
            }
            await next(context);
        });

        // The host probes GET / until any answer arrives.
        app.MapGet("/", () => Results.Text("ok"));
        foreach (var function in FunctionCatalog.All.Where(f => f.IsTimer))
        {
            app.MapPost("/" + function.Name, async (HttpContext context, CancellationToken cancellationToken) =>
            {
                using var buffer = new MemoryStream();
                await context.Request.Body.CopyToAsync(buffer, cancellationToken);
                var result = new InvocationResult();
                try
                {
                    var invocation = TimerInvocation.Parse(function.Name, buffer.ToArray(), DateTimeOffset.UtcNow);
                    result.Logs.Add($"{function.Name} at {invocation.UtcNow:O} (past due: {invocation.IsPastDue})");
                    if (timers.TryGetValue(function.Name, out var handler))
                    {
                        result.Logs.AddRange(await handler(invocation, cancellationToken));
                    }
                }
                catch (System.Text.Json.JsonException e)
                {
                    result.Logs.Add($"{function.Name}: the invocation body is not valid JSON ({e.Message}); ran nothing");
                }
                // Always 200 with the three properties: a non-2xx fails the invocation, an empty body hangs it.
                return Results.Json(result);
            });
        }
        mapApi?.Invoke(app);
        return app;
    }

    /// <summary>Routes the host would protect: every /api route except anonymous ones (the signed webhook).</summary>
    public static bool RequiresKey(HttpRequest request)
    {
        var path = request.Path.Value ?? "";
        if (!path.StartsWith("/" + Routes.Prefix + "/", StringComparison.Ordinal))
        {
            return path != "/" && FunctionCatalog.All.Any(f => f.IsTimer && path == "/" + f.Name);
        }
        return !(HttpMethods.IsPost(request.Method) && path.EndsWith("/events", StringComparison.Ordinal));
    }

    private static bool KeyMatches(HttpRequest request, string key)
    {
        var given = request.Headers[KeyHeader].ToString();
        if (given.Length == 0)
        {
            given = request.Query["code"].ToString();
        }
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(key));
    }
}
