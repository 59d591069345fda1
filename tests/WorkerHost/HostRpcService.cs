using Grpc.Core;
using Serverless.Backup.WorkerHost.Rpc;

namespace Serverless.Backup.WorkerHost;

/// <summary>
/// The host's gRPC service. A worker opens EventStream and must send StartStream first, naming the worker id it
/// was started with (Azure/azure-functions-host, GrpcWorkerChannel.StartWorkerProcessAsync waits for StartStream
/// before sending WorkerInitRequest). The call then stays open for the host's requests until the fixture ends it.
/// </summary>
internal sealed class HostRpcService(WorkerConnections connections) : FunctionRpc.FunctionRpcBase
{
    public override async Task EventStream(
        IAsyncStreamReader<StreamingMessage> requestStream,
        IServerStreamWriter<StreamingMessage> responseStream,
        ServerCallContext context)
    {
        if (!await requestStream.MoveNext(context.CancellationToken))
        {
            return;
        }
        var first = requestStream.Current;
        if (first.ContentCase != StreamingMessage.ContentOneofCase.StartStream)
        {
            var refusal = $"the first message must be StartStream, got {first.ContentCase}";
            connections.Refused(refusal);
            throw new Grpc.Core.RpcException(new Status(StatusCode.FailedPrecondition, refusal));
        }
        var channel = new WorkerChannel(first.StartStream.WorkerId, responseStream);
        if (!connections.Accept(channel, out var refused))
        {
            throw new Grpc.Core.RpcException(new Status(StatusCode.PermissionDenied, refused));
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, connections.Stopping);
        await channel.RunAsync(requestStream, stop.Token);
    }
}

/// <summary>The one worker the fixture started, as it connects.</summary>
internal sealed class WorkerConnections(string expectedWorkerId, CancellationToken stopping)
{
    private readonly TaskCompletionSource<WorkerChannel> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public CancellationToken Stopping { get; } = stopping;

    public Task<WorkerChannel> Connected => _connected.Task;

    public bool Accept(WorkerChannel channel, out string refusal)
    {
        if (!string.Equals(channel.WorkerId, expectedWorkerId, StringComparison.Ordinal))
        {
            refusal = $"StartStream names worker '{channel.WorkerId}', but the host started worker '{expectedWorkerId}'";
            _connected.TrySetException(new WorkerHostException(refusal));
            return false;
        }
        if (!_connected.TrySetResult(channel))
        {
            refusal = $"worker '{channel.WorkerId}' opened a second EventStream; this host serves one";
            return false;
        }
        refusal = "";
        return true;
    }

    public void Refused(string refusal) => _connected.TrySetException(new WorkerHostException(refusal));
}
