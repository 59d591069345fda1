namespace Serverless.Backup.WorkerHost;

/// <summary>
/// Names the host and the .NET isolated worker agree on outside the .proto file. Each is the value in the public
/// source named beside it; the worker reads them, so a change there shows up here as a failed test.
/// </summary>
public static class HostContract
{
    /// <summary>
    /// Capability the worker reports in WorkerInitResponse when the ASP.NET Core integration is on: the URI of
    /// its own HTTP server, which the host then forwards HTTP-triggered requests to (Azure/azure-functions-dotnet-worker,
    /// extensions/Worker.Extensions.Http.AspNetCore/src/Constants.cs, HttpUriCapability; read by the host in
    /// Azure/azure-functions-host, src/WebJobs.Script.Grpc/Channel/GrpcWorkerChannel.cs, ApplyCapabilities).
    /// </summary>
    public const string HttpUriCapability = "HttpUri";

    /// <summary>
    /// Header that carries the invocation id on a forwarded HTTP request, so the worker pairs it with the
    /// InvocationRequest of the same id (Azure/azure-functions-dotnet-worker,
    /// extensions/Worker.Extensions.Http.AspNetCore/src/Constants.cs, CorrelationHeader; the worker's
    /// WorkerRequestServicesMiddleware refuses a request without it).
    /// </summary>
    public const string InvocationIdHeader = "x-ms-invocation-id";

    /// <summary>
    /// The host's default gRPC message limit, passed to the worker on its command line
    /// (Azure/azure-functions-host, RpcWorkerConstants.DefaultMaxMessageLengthBytes).
    /// </summary>
    public const int DefaultMaxMessageLength = int.MaxValue;

    /// <summary>The host's route prefix for HTTP functions when host.json sets none (extensions.http.routePrefix).</summary>
    public const string DefaultRoutePrefix = "api";

    /// <summary>Where the host reads how to start a worker: the app's worker.config.json (written by Microsoft.Azure.Functions.Worker.Sdk).</summary>
    public const string WorkerConfigFileName = "worker.config.json";

    /// <summary>
    /// Query parameter and header the host accepts a function key in, for functions whose authLevel is not
    /// anonymous (Azure/azure-functions-host, AuthenticationLevelHandler: FunctionsKeyHeaderName and the
    /// <c>code</c> query parameter).
    /// </summary>
    public const string FunctionKeyQueryParameter = "code";

    /// <inheritdoc cref="FunctionKeyQueryParameter"/>
    public const string FunctionKeyHeader = "x-functions-key";
}
