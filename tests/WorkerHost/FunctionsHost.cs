using System.Net;
using System.Text.Json;
using Cronos;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serverless.Backup.WorkerHost.Rpc;
using MessageType = Serverless.Backup.WorkerHost.Rpc.StreamingMessage.ContentOneofCase;

namespace Serverless.Backup.WorkerHost;

/// <summary>
/// Plays the Azure Functions host for one isolated worker: serves FunctionRpc on 127.0.0.1 (a free port), starts
/// the worker program as the platform does and takes it through the host's start-up order
/// (Azure/azure-functions-host, src/WebJobs.Script.Grpc/Channel/GrpcWorkerChannel.cs): StartStream from the worker,
/// WorkerInitRequest / WorkerInitResponse, FunctionsMetadataRequest / FunctionMetadataResponse (worker indexing),
/// one FunctionLoadRequest / FunctionLoadResponse per function. Then it invokes timers over gRPC and HTTP functions
/// through the worker's own HTTP server, as the host does when the worker reports the HttpUri capability.
/// </summary>
public sealed class FunctionsHost : IAsyncDisposable
{
    private readonly FunctionsHostOptions _options;
    private readonly WebApplication _server;
    private readonly CancellationTokenSource _stopping;
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
    private readonly Dictionary<string, FunctionLoadResponse> _loads = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _schedules = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _errors = new(StringComparer.Ordinal);
    private WorkerChannel? _channel;

    private FunctionsHost(FunctionsHostOptions options, WorkerApp app, WebApplication server, Uri grpcUri, CancellationTokenSource stopping, WorkerProcess worker)
    {
        _options = options;
        App = app;
        _server = server;
        GrpcUri = grpcUri;
        _stopping = stopping;
        Worker = worker;
    }

    public WorkerApp App { get; }

    public FunctionsHostOptions Options => _options;

    /// <summary>The address of this host's gRPC server, as given to the worker.</summary>
    public Uri GrpcUri { get; }

    public WorkerProcess Worker { get; }

    /// <summary>The worker's answer to WorkerInitRequest.</summary>
    public WorkerInitResponse InitResponse { get; private set; } = new();

    /// <summary>The worker's HTTP server (its HttpUri capability), or null without the ASP.NET Core integration.</summary>
    public Uri? WorkerHttpUri { get; private set; }

    /// <summary>The worker's FunctionMetadataResponse as received.</summary>
    public FunctionMetadataResponse MetadataResponse { get; private set; } = new();

    /// <summary>The functions as indexed (by the worker, or from functions.metadata when it asked the host to index).</summary>
    public IReadOnlyList<FunctionDescription> Functions { get; private set; } = [];

    /// <summary>The FunctionLoadResponse of each function, by function name.</summary>
    public IReadOnlyDictionary<string, FunctionLoadResponse> LoadResponses => _loads;

    /// <summary>
    /// Functions the host would put in error while indexing, with its reason: a timer whose schedule names an unset
    /// app setting (<see cref="AppSettingExpressions"/>) or is no schedule. The host never invokes them.
    /// </summary>
    public IReadOnlyDictionary<string, string> FunctionErrors => _errors;

    /// <summary>A timer's schedule as the host uses it: the trigger's schedule with <c>%SETTING%</c> resolved from the app settings.</summary>
    public string ResolvedSchedule(string functionName) =>
        _schedules.TryGetValue(functionName, out var schedule)
            ? schedule
            : throw new ArgumentException($"function {functionName} has no usable timer schedule{(_errors.TryGetValue(functionName, out var error) ? ": " + error : "")}", nameof(functionName));

    /// <summary>Every RpcLog the worker sent so far.</summary>
    public IReadOnlyList<RpcLog> Logs => _channel?.Logs ?? [];

    /// <summary>Messages that arrived with nothing waiting for them.</summary>
    public IReadOnlyList<StreamingMessage> UnexpectedMessages => _channel?.Unexpected ?? [];

    /// <summary>The RpcLog messages of one invocation.</summary>
    public IReadOnlyList<RpcLog> LogsOf(string invocationId) => [.. Logs.Where(l => l.InvocationId == invocationId)];

    public FunctionDescription Function(string name) =>
        Functions.FirstOrDefault(f => f.Name == name)
        ?? throw new ArgumentException($"the worker reported no function '{name}'; it has: {string.Join(", ", Functions.Select(f => f.Name))}", nameof(name));

    /// <summary>
    /// A function to invoke. Like the host, which sends no InvocationRequest for a function whose load failed and
    /// fails the invocation with the load error (GrpcWorkerChannel.SendInvocationRequest), this refuses it.
    /// </summary>
    private FunctionDescription Loaded(string name)
    {
        var function = Function(name);
        if (_errors.TryGetValue(name, out var error))
        {
            throw new WorkerHostException($"function {name} is in error, so the host never invokes it: {error}");
        }
        if (_loads.TryGetValue(name, out var load) && load.Result?.Status != StatusResult.Types.Status.Success)
        {
            throw new WorkerHostException($"function {name} failed to load, so the host invokes it no more: {load.Result?.Exception?.Message}");
        }
        return function;
    }

    /// <summary>Starts the gRPC server and the worker, and takes the worker through init, metadata and load.</summary>
    public static async Task<FunctionsHost> StartAsync(FunctionsHostOptions options, CancellationToken cancellationToken)
    {
        var app = WorkerApp.FromDirectory(options.AppDirectory);
        var workerId = Guid.NewGuid().ToString();
        var stopping = new CancellationTokenSource();
        var connections = new WorkerConnections(workerId, stopping.Token);
        var server = BuildServer(connections);
        await server.StartAsync(cancellationToken);
        var address = server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        var grpcUri = new Uri(address.EndsWith('/') ? address : address + "/");

        var arguments = new WorkerStartArguments(grpcUri, workerId, Guid.NewGuid().ToString(), HostContract.DefaultMaxMessageLength);
        WorkerProcess worker;
        try
        {
            worker = WorkerProcess.Start(app, arguments, options.AppSettings);
        }
        catch
        {
            await server.StopAsync(CancellationToken.None);
            await server.DisposeAsync();
            stopping.Dispose();
            throw;
        }
        var host = new FunctionsHost(options, app, server, grpcUri, stopping, worker);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.StartTimeout);
            await host.InitializeAsync(connections, timeout.Token);
        }
        catch (Exception e)
        {
            var output = await host.StopForDiagnosisAsync();
            await host.DisposeAsync();
            throw new WorkerHostException($"the worker did not start as the host expects: {e.Message}\nworker: {string.Join(' ', worker.CommandLine)}\n{output}", e);
        }
        return host;
    }

    /// <summary>
    /// Invokes a timer function as the host's timer trigger does: one ParameterBinding named as the trigger binding,
    /// whose data is the WebJobs TimerInfo as JSON, the shape the host's Newtonsoft serialisation gives
    /// (<c>{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":…,"Next":…,"LastUpdated":…},"IsPastDue":false}</c>;
    /// Azure/azure-functions-host, GrpcMessageConversionExtensions.ToRpcDefault). The worker's TimerInfo converter reads
    /// it case-insensitively (Azure/azure-functions-dotnet-worker, extensions/Worker.Extensions.Timer/src/Converters).
    /// </summary>
    public Task<InvocationResponse> InvokeTimerAsync(string functionName, CancellationToken cancellationToken, bool isPastDue = false)
    {
        // A function in error is refused as the host refuses it, before its schedule is needed.
        Loaded(functionName);
        var now = DateTime.UtcNow;
        var interval = ScheduleInterval(ResolvedSchedule(functionName), now);
        var timerInfo = JsonSerializer.Serialize(new
        {
            Schedule = new { AdjustForDST = true },
            ScheduleStatus = new { Last = now - interval, Next = now + interval, LastUpdated = now - interval },
            IsPastDue = isPastDue,
        });
        return InvokeTimerAsync(functionName, timerInfo, cancellationToken);
    }

    /// <summary>
    /// Invokes a timer function with <paramref name="timerInfoJson"/> as the trigger's data, as given: the shapes the
    /// host sends in other states (no ScheduleStatus on a timer's first run, a past-due tick after downtime).
    /// </summary>
    public async Task<InvocationResponse> InvokeTimerAsync(string functionName, string timerInfoJson, CancellationToken cancellationToken)
    {
        var function = Loaded(functionName);
        var trigger = function.Trigger;
        if (!trigger.Type.Equals("timerTrigger", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"function {functionName} is triggered by {trigger.Type}, not timerTrigger", nameof(functionName));
        }
        var timerInfo = timerInfoJson;
        var request = new InvocationRequest
        {
            InvocationId = Guid.NewGuid().ToString(),
            FunctionId = function.FunctionId,
            TraceContext = new RpcTraceContext(),
        };
        request.InputData.Add(new ParameterBinding { Name = trigger.Name, Data = new TypedData { Json = timerInfo } });
        return await InvokeAsync(request, cancellationToken);
    }

    /// <summary>
    /// Invokes an HTTP function as the host does for a worker with the HttpUri capability
    /// (Azure/azure-functions-host, GrpcWorkerChannel.SendInvocationRequest and DefaultHttpProxyService): the request
    /// goes to the worker's own HTTP server, same method, path, query, headers and body, with the invocation id in
    /// the <c>x-ms-invocation-id</c> header, and the InvocationRequest of that id goes over gRPC; forwarding starts first.
    /// The request's URI is the one a client would call on the app (relative, like <c>/api/hello/world</c>, or
    /// absolute); it must match the function's route. Functions whose authLevel is not anonymous need the
    /// <see cref="FunctionsHostOptions.FunctionKey"/>, or the host answers 401 without invoking, as Azure's does.
    /// The request is sent on to the worker, so it is used up: its URI and headers are changed on the way.
    /// </summary>
    public async Task<HttpInvocationResult> InvokeHttpAsync(string functionName, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var function = Loaded(functionName);
        if (!function.IsHttp)
        {
            throw new ArgumentException($"function {functionName} is triggered by {function.Trigger.Type}, not httpTrigger", nameof(functionName));
        }
        var workerHttp = WorkerHttpUri
            ?? throw new WorkerHostException($"the worker reported no {HostContract.HttpUriCapability} capability: without ConfigureFunctionsWebApplication() the host sends HTTP requests as RpcHttp messages, which this fixture does not play");
        var clientUri = request.RequestUri is null ? throw new ArgumentException("the request has no URI", nameof(request))
            : request.RequestUri.IsAbsoluteUri ? request.RequestUri
            : new Uri(new Uri("http://localhost/"), request.RequestUri);
        var routeValues = MatchRoute(function, clientUri);
        if (!function.Methods.Contains(request.Method.Method, StringComparer.OrdinalIgnoreCase) && function.Methods.Count > 0)
        {
            throw new ArgumentException($"function {functionName} accepts {string.Join(", ", function.Methods)}, not {request.Method}", nameof(request));
        }
        var invocationId = Guid.NewGuid().ToString();
        var query = QueryHelpers.ParseQuery(clientUri.Query);
        if (!IsAuthorized(function, request, query))
        {
            return new HttpInvocationResult(invocationId, HttpStatusCode.Unauthorized, "", new Dictionary<string, string>(), null);
        }

        var channel = Channel;
        var headers = request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>())
            .ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(",", h.Value));
        var http = new RpcHttp { Method = request.Method.Method, Url = clientUri.AbsoluteUri };
        foreach (var (name, value) in headers)
        {
            http.Headers[name] = value;
        }
        foreach (var (name, value) in query)
        {
            http.Query[name] = value.ToString();
        }
        var invocation = new InvocationRequest
        {
            InvocationId = invocationId,
            FunctionId = function.FunctionId,
            TraceContext = new RpcTraceContext(),
        };
        invocation.InputData.Add(new ParameterBinding { Name = function.Trigger.Name, Data = new TypedData { Http = http } });
        // The host's binding data for an HTTP trigger: route values by name, and Query and Headers as JSON. The
        // worker binds plain parameters (string name) from these.
        foreach (var (name, value) in routeValues)
        {
            var text = value?.ToString();
            if (text is not null)
            {
                http.Params[name] = text;
                invocation.TriggerMetadata[name] = new TypedData { String = text };
            }
        }
        invocation.TriggerMetadata["Query"] = new TypedData { Json = JsonSerializer.Serialize(query.ToDictionary(q => q.Key, q => q.Value.ToString())) };
        invocation.TriggerMetadata["Headers"] = new TypedData { Json = JsonSerializer.Serialize(headers) };

        request.RequestUri = new Uri(workerHttp, clientUri.PathAndQuery.TrimStart('/'));
        request.Headers.Remove(HostContract.InvocationIdHeader);
        request.Headers.TryAddWithoutValidation(HostContract.InvocationIdHeader, invocationId);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.InvocationTimeout);
        var answer = channel.Expect(MessageType.InvocationResponse, invocationId);
        try
        {
            var forwarding = _http.SendAsync(request, timeout.Token);
            await channel.SendAsync(new StreamingMessage { InvocationRequest = invocation }, timeout.Token);
            using var response = await forwarding;
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            var responseHeaders = response.Headers.Concat(response.Content.Headers)
                .ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(",", h.Value));
            var invocationResponse = (await answer.WaitAsync(timeout.Token)).InvocationResponse;
            return new HttpInvocationResult(invocationId, response.StatusCode, body, responseHeaders, invocationResponse);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            channel.Forget(MessageType.InvocationResponse, invocationId);
            throw new WorkerHostException($"HTTP invocation {invocationId} of {functionName} did not finish within {_options.InvocationTimeout}\n{Worker.Output}", e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The host's WorkerTerminate: the worker stops itself within the grace period; otherwise it is killed.
        if (_channel is { Closed.IsCompleted: false } channel && !Worker.HasExited)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await channel.SendAsync(
                    new StreamingMessage { WorkerTerminate = new WorkerTerminate { GracePeriod = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromSeconds(5)) } },
                    timeout.Token);
            }
            catch (Exception e) when (e is WorkerHostException or OperationCanceledException or InvalidOperationException or Grpc.Core.RpcException)
            {
                // The stream is already gone; the process is stopped below either way.
            }
        }
        await Worker.StopAsync(TimeSpan.FromSeconds(10));
        await Worker.DisposeAsync();
        await _stopping.CancelAsync();
        _channel?.Close();
        await _server.StopAsync(CancellationToken.None);
        await _server.DisposeAsync();
        _stopping.Dispose();
        _http.Dispose();
    }

    private WorkerChannel Channel => _channel ?? throw new InvalidOperationException("the worker has not connected");

    private static WebApplication BuildServer(WorkerConnections connections)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(FunctionsHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        // The worker's gRPC client speaks HTTP/2 without TLS (GrpcChannel with ChannelCredentials.Insecure;
        // Azure/azure-functions-dotnet-worker, src/DotNetWorker.Grpc/GrpcWorkerClientFactory.cs), so the endpoint is
        // HTTP/2 only: cleartext HTTP/2 cannot be negotiated next to HTTP/1.1.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = null;
            grpc.MaxSendMessageSize = null;
        });
        builder.Services.AddSingleton(connections);
        var app = builder.Build();
        app.MapGrpcService<HostRpcService>();
        return app;
    }

    private async Task InitializeAsync(WorkerConnections connections, CancellationToken cancellationToken)
    {
        var exited = Worker.WaitForExitAsync(CancellationToken.None);
        var connected = connections.Connected;
        try
        {
            if (await Task.WhenAny(connected, exited).WaitAsync(cancellationToken) != connected)
            {
                throw new WorkerHostException($"the worker exited with code {Worker.ExitCode} before it opened the event stream");
            }
        }
        catch (OperationCanceledException e)
        {
            throw new WorkerHostException("the worker did not open the event stream (StartStream) in time", e);
        }
        var channel = _channel = await connected;

        var init = new WorkerInitRequest
        {
            HostVersion = _options.HostVersion,
            WorkerDirectory = App.Directory,
            FunctionAppDirectory = App.Directory,
        };
        InitResponse = (await RequestAsync(channel, new StreamingMessage { WorkerInitRequest = init }, MessageType.WorkerInitResponse, "", cancellationToken)).WorkerInitResponse;
        if (InitResponse.Result?.Status != StatusResult.Types.Status.Success)
        {
            throw new WorkerHostException($"WorkerInitResponse is not a success: {InitResponse.Result}");
        }
        if (InitResponse.Capabilities.TryGetValue(HostContract.HttpUriCapability, out var httpUri))
        {
            WorkerHttpUri = Uri.TryCreate(httpUri, UriKind.Absolute, out var parsed)
                ? parsed
                : throw new WorkerHostException($"the worker's {HostContract.HttpUriCapability} capability '{httpUri}' is not an absolute URI");
        }

        var metadataRequest = new FunctionsMetadataRequest { FunctionAppDirectory = App.Directory };
        MetadataResponse = (await RequestAsync(channel, new StreamingMessage { FunctionsMetadataRequest = metadataRequest }, MessageType.FunctionMetadataResponse, "", cancellationToken)).FunctionMetadataResponse;
        if (MetadataResponse.Result?.Status != StatusResult.Types.Status.Success)
        {
            throw new WorkerHostException($"FunctionMetadataResponse is not a success: {MetadataResponse.Result}");
        }
        Functions = MetadataResponse.UseDefaultMetadataIndexing
            ? ReadFunctionsMetadataFile()
            : [.. MetadataResponse.FunctionMetadataResults.Select(FunctionDescription.From)];

        foreach (var function in Functions.Where(f => f.Schedule is not null))
        {
            try
            {
                var schedule = AppSettingExpressions.Resolve(function.Schedule!, AppSetting);
                ScheduleInterval(schedule, DateTime.UtcNow);
                _schedules[function.Name] = schedule;
            }
            catch (Exception e) when (e is WorkerHostException or CronFormatException)
            {
                _errors[function.Name] = $"the timer's schedule '{function.Schedule}' cannot be used: {e.Message}";
            }
        }

        // One FunctionLoadRequest per function, all answered before any invocation, as the host does without the
        // SupportsLoadResponseCollection capability.
        var loads = Functions.Select(f => (Function: f, Answer: channel.Expect(MessageType.FunctionLoadResponse, f.FunctionId))).ToList();
        foreach (var (function, _) in loads)
        {
            await channel.SendAsync(new StreamingMessage { FunctionLoadRequest = function.ToLoadRequest() }, cancellationToken);
        }
        foreach (var (function, answer) in loads)
        {
            _loads[function.Name] = (await WaitAsync(answer, exited, $"FunctionLoadResponse for {function.Name}", cancellationToken)).FunctionLoadResponse;
        }

        async Task<StreamingMessage> RequestAsync(WorkerChannel to, StreamingMessage message, MessageType answerType, string key, CancellationToken token)
        {
            var answer = to.Expect(answerType, key);
            await to.SendAsync(message, token);
            return await WaitAsync(answer, exited, answerType.ToString(), token);
        }
    }

    /// <summary>An app setting as the host sees it: the ones given to this worker, else the host's own environment.</summary>
    private string? AppSetting(string name) =>
        Worker.Environment.TryGetValue(name, out var value) ? value : System.Environment.GetEnvironmentVariable(name);

    private async Task<StreamingMessage> WaitAsync(Task<StreamingMessage> answer, Task exited, string what, CancellationToken cancellationToken)
    {
        try
        {
            if (await Task.WhenAny(answer, exited).WaitAsync(cancellationToken) != answer)
            {
                throw new WorkerHostException($"the worker exited with code {Worker.ExitCode} before sending {what}");
            }
            return await answer;
        }
        catch (OperationCanceledException e)
        {
            throw new WorkerHostException($"no {what} came in time", e);
        }
    }

    private async Task<InvocationResponse> InvokeAsync(InvocationRequest request, CancellationToken cancellationToken)
    {
        var channel = Channel;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.InvocationTimeout);
        var answer = channel.Expect(MessageType.InvocationResponse, request.InvocationId);
        try
        {
            await channel.SendAsync(new StreamingMessage { InvocationRequest = request }, timeout.Token);
            return (await answer.WaitAsync(timeout.Token)).InvocationResponse;
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            channel.Forget(MessageType.InvocationResponse, request.InvocationId);
            throw new WorkerHostException($"invocation {request.InvocationId} did not finish within {_options.InvocationTimeout}\n{Worker.Output}", e);
        }
    }

    private bool IsAuthorized(FunctionDescription function, HttpRequestMessage request, Dictionary<string, Microsoft.Extensions.Primitives.StringValues> query)
    {
        if (string.Equals(function.AuthLevel, "anonymous", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        var given = request.Headers.TryGetValues(HostContract.FunctionKeyHeader, out var values)
            ? values.FirstOrDefault()
            : query.TryGetValue(HostContract.FunctionKeyQueryParameter, out var code) ? code.ToString() : null;
        return given == _options.FunctionKey;
    }

    /// <summary>
    /// Matches the client's path against "{routePrefix}/{route}" as the worker's endpoint data source builds it
    /// (Azure/azure-functions-dotnet-worker, extensions/Worker.Extensions.Http.AspNetCore/src/AspNetMiddleware/FunctionsEndpointDataSource.cs:
    /// the prefix is host.json's extensions.http.routePrefix, "api" when absent; the route is the trigger's route
    /// or the function name).
    /// </summary>
    private RouteValueDictionary MatchRoute(FunctionDescription function, Uri clientUri)
    {
        var prefix = RoutePrefix();
        var template = string.IsNullOrEmpty(prefix) ? function.Route! : $"{prefix}/{function.Route}";
        var matcher = new TemplateMatcher(TemplateParser.Parse(template), new RouteValueDictionary());
        var values = new RouteValueDictionary();
        if (!matcher.TryMatch(clientUri.AbsolutePath, values))
        {
            throw new ArgumentException($"{clientUri.AbsolutePath} does not match function {function.Name}'s route '{template}'", nameof(clientUri));
        }
        return values;
    }

    private string RoutePrefix()
    {
        var path = Path.Combine(App.Directory, "host.json");
        if (!File.Exists(path))
        {
            return HostContract.DefaultRoutePrefix;
        }
        using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return document.RootElement.TryGetProperty("extensions", out var extensions)
            && extensions.TryGetProperty("http", out var http)
            && http.TryGetProperty("routePrefix", out var prefix)
            && prefix.ValueKind == JsonValueKind.String
                ? prefix.GetString()!.Trim('/')
                : HostContract.DefaultRoutePrefix;
    }

    /// <summary>
    /// When the worker answers use_default_metadata_indexing, the host indexes the app itself from functions.metadata
    /// (written by Microsoft.Azure.Functions.Worker.Sdk): the same objects, bindings as function.json has them.
    /// </summary>
    private IReadOnlyList<FunctionDescription> ReadFunctionsMetadataFile()
    {
        var path = Path.Combine(App.Directory, "functions.metadata");
        if (!File.Exists(path))
        {
            throw new WorkerHostException($"the worker asked the host to index the app, but {path} is missing");
        }
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var functions = new List<FunctionDescription>();
        foreach (var entry in document.RootElement.EnumerateArray())
        {
            string Text(string name) => entry.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
            var metadata = new RpcFunctionMetadata
            {
                Name = Text("name"),
                ScriptFile = Text("scriptFile"),
                EntryPoint = Text("entryPoint"),
                Language = Text("language"),
                Directory = App.Directory,
                FunctionId = Guid.NewGuid().ToString(),
            };
            if (entry.TryGetProperty("bindings", out var bindings))
            {
                foreach (var binding in bindings.EnumerateArray())
                {
                    metadata.RawBindings.Add(binding.GetRawText());
                }
            }
            functions.Add(FunctionDescription.From(metadata));
        }
        return functions;
    }

    /// <summary>How far apart the timer's occurrences are around <paramref name="now"/>: NCRONTAB with seconds, or a TimeSpan schedule.</summary>
    private static TimeSpan ScheduleInterval(string? schedule, DateTime now)
    {
        if (schedule is null)
        {
            return TimeSpan.FromMinutes(5);
        }
        if (TimeSpan.TryParse(schedule, System.Globalization.CultureInfo.InvariantCulture, out var span))
        {
            return span;
        }
        var fields = schedule.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        var cron = CronExpression.Parse(schedule, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        var next = cron.GetNextOccurrence(now, inclusive: false);
        var after = next is null ? null : cron.GetNextOccurrence(next.Value, inclusive: false);
        return next is not null && after is not null ? after.Value - next.Value : TimeSpan.FromMinutes(5);
    }

    private async Task<string> StopForDiagnosisAsync()
    {
        await Worker.StopAsync(TimeSpan.FromSeconds(2));
        return $"worker exit code: {Worker.ExitCode}\nworker output:\n{Worker.Output}\nRpcLog:\n{string.Join('\n', Logs.Select(l => $"{l.Level} {l.Category}: {l.Message} {l.Exception?.Message}"))}";
    }
}
