using System.Globalization;

namespace Serverless.Backup.WorkerHost;

/// <summary>
/// What the host tells a worker on its command line: where the host's gRPC server is, the worker's id, the id of
/// the start request and the largest gRPC message. The host passes every value twice, under the older names and
/// under the <c>--functions-</c> names that current workers read (Azure/azure-functions-host, RpcWorkerContext,
/// GetFormattedArguments: "--host H --port P --workerId W --requestId R --grpcMaxMessageLength N
/// --functions-uri U --functions-worker-id W --functions-request-id R --functions-grpc-max-message-length N").
/// The .NET worker reads "functions-uri", "functions-request-id", "functions-worker-id" and
/// "functions-grpc-max-message-length" from its configuration, falling back to HOST/PORT, requestId, workerId and
/// grpcMaxMessageLength (Azure/azure-functions-dotnet-worker, src/DotNetWorker.Grpc/GrpcServiceCollectionExtensions.cs,
/// the GrpcWorkerStartupOptions setup); FunctionsApplication.CreateBuilder(args) adds the command line to it.
/// </summary>
public sealed record WorkerStartArguments(Uri GrpcUri, string WorkerId, string RequestId, int MaxMessageLength)
{
    public IReadOnlyList<string> ToArgumentList()
    {
        var max = MaxMessageLength.ToString(CultureInfo.InvariantCulture);
        return
        [
            "--host", GrpcUri.Host,
            "--port", GrpcUri.Port.ToString(CultureInfo.InvariantCulture),
            "--workerId", WorkerId,
            "--requestId", RequestId,
            "--grpcMaxMessageLength", max,
            "--functions-uri", GrpcUri.AbsoluteUri,
            "--functions-worker-id", WorkerId,
            "--functions-request-id", RequestId,
            "--functions-grpc-max-message-length", max,
        ];
    }
}
