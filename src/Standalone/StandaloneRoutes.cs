using System.Text.Json;
using Serverless.Backup.Control;
using Serverless.Backup.Control.Endpoints;

namespace Serverless.Backup.Standalone;

/// <summary>The control plane's HTTP API as minimal APIs, from <see cref="FunctionCatalog"/>: the routes the Functions app serves.</summary>
public static class StandaloneRoutes
{
    public const string ListenUrlSetting = "BACKUP_LISTEN_URL";
    public const string DefaultListenUrl = "http://127.0.0.1:7071";

    /// <summary>The longest request target (path and query) served; a longer one is a 414 with the API's error body.</summary>
    public const int MaxRequestTarget = ApiOperations.MaxRequestTarget;

    /// <summary>The route that fires a timer now, as the Functions host's admin API does.</summary>
    public const string FireTimerRoute = "/admin/functions/{name}";

    public static void MapControlPlane(this WebApplication app)
    {
        // Errors that no route answers (no such route, a method the route does not take, a target too long) get
        // the same problem-details body as every other error of the API.
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.Value?.Length + context.Request.QueryString.Value?.Length > MaxRequestTarget)
            {
                await Answer(ApiResult.Error(414, $"the request's path and query are longer than {MaxRequestTarget} characters: shorten them")).ExecuteAsync(context);
                return;
            }
            await next(context);
        });
        app.UseStatusCodePages(async status =>
        {
            var context = status.HttpContext;
            var code = context.Response.StatusCode;
            var message = code switch
            {
                404 => $"no route {context.Request.Method} {context.Request.Path}: see docs/api.md for the routes",
                405 => $"{context.Request.Path} does not take {context.Request.Method}: see docs/api.md for the methods of each route",
                413 => $"the body is larger than {SessionEvents.MaxBodyBytes} bytes",
                415 => $"{context.Request.Path} takes a JSON body: send it with Content-Type: application/json",
                _ => $"the request failed with status {code}",
            };
            await Answer(ApiResult.Error(code, message)).ExecuteAsync(context);
        });

        // The health probe, without a key. It and the admin route are this server's own: the OpenAPI document
        // describes the functions, which both apps serve.
        app.MapMethods("/", ["GET", "HEAD"], () => Results.Ok(new { status = "ready", functions = FunctionCatalog.All.Select(f => f.Name) }))
            .ExcludeFromDescription();

        foreach (var function in FunctionCatalog.All)
        {
            if (function.Trigger is not HttpTrigger http)
            {
                continue;
            }
            var route = $"/{Routes.Prefix}/{http.Route}";
            string[] methods = [http.Method.ToUpperInvariant()];
            // The document is generated here from the endpoints; the Functions app answers the checked-in copy.
            var endpoint = function.Name == FunctionNames.OpenApiDocument
                ? app.MapMethods(route, methods, (Func<HttpContext, Task<IResult>>)ApiDocumentation.ServeAsync)
                : app.MapMethods(route, methods, (HttpContext context, ControlApi api) => InvokeAsync(context, api, function.Name));
            endpoint.Describe(ApiOperations.Find(function.Name)
                ?? throw new InvalidOperationException($"{function.Name} has no entry in ApiOperations (src/Control/Endpoints): describe it there"));
            if (http.AuthLevel != "anonymous")
            {
                endpoint.AddEndpointFilter<ApiKeyFilter>();
            }
        }

        app.MapPost(FireTimerRoute, FireTimerAsync).AddEndpointFilter<ApiKeyFilter>().ExcludeFromDescription();
    }

    private static async Task<IResult> InvokeAsync(HttpContext context, ControlApi api, string function) =>
        Answer(await ApiHttp.InvokeAsync(api, function, context.Request));

    /// <summary>
    /// Fires a timer now and answers when it has run: 200 with its summary line, or a 500 when the tick itself
    /// could not run. The body is ignored but must be empty or JSON (the Functions admin API takes {"input": ""}).
    /// </summary>
    private static async Task<IResult> FireTimerAsync(string name, HttpContext context, ControlApi api)
    {
        if (FunctionCatalog.Find(name) is not { } function)
        {
            return Answer(ApiResult.Error(404, $"no function {name}: the timers are {string.Join(", ", Timers.Select(t => t.Name))}"));
        }
        if (function.Trigger is not TimerTrigger)
        {
            return Answer(ApiResult.Error(400, $"{name} is an HTTP function: call its route instead; only {string.Join(", ", Timers.Select(t => t.Name))} can be fired"));
        }
        if (await ApiHttp.ReadBodyAsync(context.Request, context.RequestAborted) is not { } body)
        {
            return Answer(ApiHttp.TooLarge);
        }
        try
        {
            if (body.Length > 0)
            {
                using var _ = JsonDocument.Parse(body);
            }
        }
        catch (JsonException e)
        {
            return Answer(ApiResult.Error(400, $"the body is not JSON ({e.Message}): send {{\"input\": \"\"}}, {{}} or nothing"));
        }
        try
        {
            var summary = await api.RunTimerAsync(name, context.RequestAborted);
            return Answer(new ApiResult(200, new { function = name, summary }));
        }
        catch (Exception e) when (e is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            // The tick could not run (its list calls failed): the invocation failed, as the host would record it.
            // The tick's own log line has the details.
            return Answer(ApiResult.Error(500, $"{name} failed: {e.GetType().Name}: {e.Message}"));
        }
    }

    public static IEnumerable<FunctionDefinition> Timers => FunctionCatalog.All.Where(f => f.Trigger is TimerTrigger);

    /// <summary>The answer as the API writes it: JSON (problem details for errors), or text for the metrics.</summary>
    public static IResult Answer(ApiResult result) => new ApiAnswer(result);

    private sealed class ApiAnswer(ApiResult result) : IResult
    {
        public Task ExecuteAsync(HttpContext context) => ApiHttp.WriteAsync(context, result);
    }
}
