using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cronos;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Serverless.Backup.Core.Webhook;
using Serverless.Backup.Functions.Cluster;
using Serverless.Backup.Functions.Control;
using Serverless.Backup.Functions.Jobs;
using Serverless.Backup.Functions.Observability;
using Serverless.Backup.Functions.Settings;

namespace Serverless.Backup.Functions.Hosting;

/// <summary>
/// The Functions app as an ASP.NET Core program. Under the Functions host (FUNCTIONS_CUSTOMHANDLER_PORT set) it is
/// a custom handler: timers arrive as POST /{FunctionName} and must always get a 200 JSON body (an empty body
/// hangs the invocation); HTTP functions arrive proxied with their /api route. Standalone, it fires its own timers
/// on the same schedules and requires BACKUP_API_KEY (x-functions-key) where the host would require a function key.
/// </summary>
public sealed class FunctionsHost
{
    private readonly ControlPlane _control;
    private readonly SessionApi _api;
    private readonly SessionEvents _events;
    private readonly MaintenanceScheduler _maintenance;
    private readonly RepositoryApi _repositories;
    private readonly JsonLog _log;
    private readonly AppSettings _settings;
    private readonly bool _standalone;
    private readonly TimeProvider _clock;

    public FunctionsHost(AppSettings settings, IClusterGateway cluster, bool standalone, TimeProvider clock, ControlPlaneMetrics? metrics = null, JsonLog? log = null)
    {
        _settings = settings;
        _standalone = standalone;
        _clock = clock;
        metrics ??= new ControlPlaneMetrics();
        _log = log ?? JsonLog.None;
        var jobOptions = new RunnerJobOptions { Image = settings.RunnerImage, WebhookBaseUrl = settings.WebhookBaseUrl, PushgatewayUrl = settings.PushgatewayUrl };
        _control = new ControlPlane(cluster, settings, jobOptions, clock, metrics, _log);
        _api = new SessionApi(cluster, _control, clock);
        _events = new SessionEvents(cluster, settings, clock, metrics, _log);
        _maintenance = new MaintenanceScheduler(cluster, settings, clock, metrics, _log);
        _repositories = new RepositoryApi(cluster, _maintenance, metrics, settings, clock);
    }

    private static readonly JsonSerializerOptions HostJson = new();

    public ControlPlane Control => _control;

    /// <summary>Runs a timer function; the summary line goes into the invocation's Logs.</summary>
    public Task<string> RunTimerAsync(string name, CancellationToken cancellationToken) => name switch
    {
        nameof(FunctionCatalog.ScheduleTick) => _control.ScheduleTickAsync(cancellationToken),
        nameof(FunctionCatalog.Reconcile) => _control.ReconcileAsync(cancellationToken),
        nameof(FunctionCatalog.MaintenanceTick) => _maintenance.MaintenanceTickAsync(cancellationToken),
        _ => throw new ArgumentException($"no timer function {name}"),
    };

    /// <summary>The longest request target (path and query) served; a longer one is a 414 with the API's error body.</summary>
    public const int MaxRequestTarget = 8192;

    public void Map(WebApplication app)
    {
        // Errors that no function answers (no such route, a method the route does not take, a target too long)
        // get the same problem-details body as every other error of the API.
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.Value?.Length + context.Request.QueryString.Value?.Length > MaxRequestTarget)
            {
                await Write(context, ApiResult.Error(414, $"the request's path and query are longer than {MaxRequestTarget} characters: shorten them"));
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
                _ => $"the request failed with status {code}",
            };
            await Write(context, ApiResult.Error(code, message));
        });

        // The host's readiness probe.
        app.MapMethods("/", ["GET", "HEAD"], () => Results.Ok(new { status = "ready", functions = FunctionCatalog.All.Select(f => f.Name) }));

        foreach (var function in FunctionCatalog.All)
        {
            switch (function.Trigger)
            {
                case TimerTrigger:
                    app.MapPost("/" + function.Name, (Delegate)((HttpContext context) => TimerInvocationAsync(context, function.Name)));
                    break;
                case HttpTrigger http:
                    app.MapMethods($"/{FunctionCatalog.RoutePrefix}/{http.Route}", [http.Method.ToUpperInvariant()],
                        (Delegate)((HttpContext context) => HttpInvocationAsync(context, function, http)));
                    break;
            }
        }
    }

    private async Task TimerInvocationAsync(HttpContext context, string name)
    {
        // Standalone, these routes fire a timer now (as the Functions host's admin API does): they need the key.
        // Under the host they are only reachable on the loopback handler port.
        if (_standalone && !HasApiKey(context.Request))
        {
            await Write(context, ApiResult.Error(401, "missing or wrong API key: send BACKUP_API_KEY in the x-functions-key header"));
            return;
        }
        var logs = new List<string>();
        var failed = false;
        TimerInvocation invocation;
        try
        {
            // Tolerant of what it finds inside (TimerInvocation.Parse), but not of a body that is not JSON; an
            // empty body (firing a timer by hand) is an invocation without schedule status.
            if (await ReadBodyAsync(context.Request, context.RequestAborted) is not { } body)
            {
                await Write(context, ApiResult.Error(413, $"the body is larger than {SessionEvents.MaxBodyBytes} bytes"));
                return;
            }
            using var payload = JsonDocument.Parse(body.Length == 0 ? "{}"u8.ToArray() : body);
            invocation = TimerInvocation.Parse(payload.RootElement, _clock.GetUtcNow());
        }
        catch (JsonException e)
        {
            await Write(context, ApiResult.Error(400, $"the timer invocation is not JSON ({e.Message}): send the host's payload, {{}} or nothing"));
            return;
        }
        try
        {
            if (invocation.IsPastDue)
            {
                logs.Add($"{name}: past due (last run {invocation.Last?.ToString("u") ?? "never"})");
            }
            logs.Add(await RunTimerAsync(name, context.RequestAborted));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The tick itself could not run (its list calls failed): the invocation fails, so the host and the
            // portal record a failure instead of a success with an error in its log.
            failed = true;
            logs.Add($"{name} failed: {e.GetType().Name}: {e.Message}");
            _log.Error(logs[^1], new LogFields { Function = name });
        }
        if (logs.Count > 0 && logs[0].Contains("past due", StringComparison.Ordinal))
        {
            _log.Warning(logs[0], new LogFields { Function = name });
        }
        // The custom-handler response shape, whose exact (PascalCase) names the host reads; a non-2xx answer fails
        // the invocation, and the body is never empty (an empty one can leave the invocation hanging).
        context.Response.StatusCode = failed ? 500 : 200;
        await context.Response.WriteAsJsonAsync(new { Outputs = new { }, Logs = logs, ReturnValue = (object?)null }, HostJson, context.RequestAborted);
    }

    private async Task HttpInvocationAsync(HttpContext context, FunctionDefinition function, HttpTrigger http)
    {
        if (_standalone && http.AuthLevel != "anonymous" && !HasApiKey(context.Request))
        {
            await Write(context, ApiResult.Error(401, "missing or wrong function key: send it in the x-functions-key header"));
            return;
        }
        if (context.Request.ContentLength > SessionEvents.MaxBodyBytes)
        {
            await Write(context, ApiResult.Error(413, $"the body is larger than {SessionEvents.MaxBodyBytes} bytes"));
            return;
        }
        var body = await ReadBodyAsync(context.Request, context.RequestAborted);
        if (body is null)
        {
            await Write(context, ApiResult.Error(413, $"the body is larger than {SessionEvents.MaxBodyBytes} bytes"));
            return;
        }
        ApiResult result;
        try
        {
            if (await InvokeAsync(context, function, body) is not { } answer)
            {
                return;
            }
            result = answer;
        }
        catch (InvalidResourceException e)
        {
            // A resource the request names exists but cannot be read: the client can fix it, so no 5xx.
            result = ApiResult.Error(422, e.Resource.ToString());
        }
        catch (ConflictException e)
        {
            result = ApiResult.Error(409, $"{e.Message}: try again");
        }
        catch (Exception e) when (e is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            _log.Error($"{function.Name} failed: {e.GetType().Name}: {e.Message}", new LogFields { Function = function.Name });
            result = ApiResult.Error(500, $"{function.Name} failed ({e.GetType().Name}); the app's log has the details");
        }
        await Write(context, result);
    }

    /// <summary>Runs an HTTP function; null when it wrote its own answer (the metrics text).</summary>
    private async Task<ApiResult?> InvokeAsync(HttpContext context, FunctionDefinition function, byte[] body)
    {
        var route = context.Request.RouteValues;
        string Value(string key) => route[key]?.ToString() ?? "";
        var ct = context.RequestAborted;
        ApiResult result;
        if (function == FunctionCatalog.SessionEvents)
        {
            var headers = context.Request.Headers;
            var outcome = await _events.HandleAsync(headers[WebhookSignature.SessionHeader], headers[WebhookSignature.TimestampHeader], headers[WebhookSignature.SignatureHeader], body, ct);
            result = outcome.Status == 200 ? new ApiResult(200, new { message = outcome.Message }) : ApiResult.Error(outcome.Status, outcome.Message);
        }
        else if (function == FunctionCatalog.TriggerBackup)
        {
            result = await _api.TriggerBackupAsync(Value("namespace"), Value("name"), ct);
        }
        else if (function == FunctionCatalog.CreateRestore)
        {
            result = await _api.CreateRestoreAsync(Value("namespace"), body, ct);
        }
        else if (function == FunctionCatalog.Metrics)
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = ControlPlaneMetrics.ContentType;
            await _repositories.WriteMetricsAsync(context.Response.Body, ct);
            return null;
        }
        else if (function == FunctionCatalog.ListSnapshots)
        {
            result = await _repositories.ListSnapshotsAsync(Value("namespace"), Value("name"), context.Request.Query["configuration"].FirstOrDefault(), context.Request.Query["database"].FirstOrDefault(), ct);
        }
        else if (function == FunctionCatalog.StartMaintenance)
        {
            result = await _repositories.StartMaintenanceAsync(Value("namespace"), Value("name"), body, ct);
        }
        else if (function == FunctionCatalog.GetSession)
        {
            result = await _api.GetSessionAsync(Value("namespace"), Value("kind"), Value("name"), ct);
        }
        else
        {
            result = await _api.ListSessionsAsync(context.Request.Query["namespace"].FirstOrDefault(), context.Request.Query["configuration"].FirstOrDefault(), ct);
        }
        return result;
    }

    private bool HasApiKey(HttpRequest request)
    {
        var given = request.Headers["x-functions-key"].FirstOrDefault() ?? request.Query["code"].FirstOrDefault();
        return given is not null && _settings.ApiKey is { } key
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(key));
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > SessionEvents.MaxBodyBytes)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static async Task Write(HttpContext context, ApiResult result)
    {
        context.Response.StatusCode = result.Status;
        if (result.Location is not null)
        {
            context.Response.Headers.Location = result.Location;
        }
        await context.Response.WriteAsJsonAsync(result.Body, result.Body.GetType(), SessionApi.Json,
            result.IsProblem ? "application/problem+json" : "application/json", context.RequestAborted);
    }

    /// <summary>Standalone mode: fire the timer functions on their NCRONTAB schedules, one run at a time each.</summary>
    public async Task RunTimersAsync(CancellationToken cancellationToken)
    {
        var timers = FunctionCatalog.All.Where(f => f.Trigger is TimerTrigger).Select(f => RunTimerLoopAsync(f, cancellationToken));
        await Task.WhenAll(timers);
    }

    private async Task RunTimerLoopAsync(FunctionDefinition function, CancellationToken cancellationToken)
    {
        var cron = CronExpression.Parse(((TimerTrigger)function.Trigger).Schedule, CronFormat.IncludeSeconds);
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = _clock.GetUtcNow();
            var next = cron.GetNextOccurrence(now.UtcDateTime, TimeZoneInfo.Utc) ?? now.UtcDateTime.AddMinutes(1);
            try
            {
                await Task.Delay(next - now.UtcDateTime, _clock, cancellationToken);
                // The tick logs its own summary, at the level its outcome calls for.
                await RunTimerAsync(function.Name, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e)
            {
                _log.Error($"{function.Name} failed: {e.GetType().Name}: {e.Message}", new LogFields { Function = function.Name });
            }
        }
    }

    public static IPEndPoint? CustomHandlerEndpoint() =>
        int.TryParse(System.Environment.GetEnvironmentVariable("FUNCTIONS_CUSTOMHANDLER_PORT"), out var port) ? new IPEndPoint(IPAddress.Loopback, port) : null;
}
