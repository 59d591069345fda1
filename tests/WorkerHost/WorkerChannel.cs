using System.Collections.Concurrent;
using Grpc.Core;
using Serverless.Backup.WorkerHost.Rpc;

namespace Serverless.Backup.WorkerHost;

/// <summary>
/// The host's end of one worker's EventStream. Like the host (Azure/azure-functions-host, GrpcWorkerChannel,
/// RegisterCallbackForNextGrpcMessage), it waits for answers by message type and key (the function id of a
/// FunctionLoadResponse, the invocation id of an InvocationResponse), not by request_id. RpcLog messages are
/// collected. Writes are serialised: a gRPC stream takes one write at a time.
/// </summary>
public sealed class WorkerChannel
{
    private readonly IServerStreamWriter<StreamingMessage> _writer;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<StreamingMessage>> _waiters = new();
    private readonly ConcurrentQueue<RpcLog> _logs = new();
    private readonly ConcurrentQueue<StreamingMessage> _unexpected = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal WorkerChannel(string workerId, IServerStreamWriter<StreamingMessage> writer)
    {
        WorkerId = workerId;
        _writer = writer;
    }

    public string WorkerId { get; }

    /// <summary>Every RpcLog the worker sent, in order.</summary>
    public IReadOnlyList<RpcLog> Logs => [.. _logs];

    /// <summary>Messages that came with nobody waiting for them (a protocol surprise worth a look).</summary>
    public IReadOnlyList<StreamingMessage> Unexpected => [.. _unexpected];

    /// <summary>Completes when the stream ended, from either side.</summary>
    public Task Closed => _closed.Task;

    internal static string KeyOf(StreamingMessage message) => message.ContentCase switch
    {
        StreamingMessage.ContentOneofCase.FunctionLoadResponse => Key(message.ContentCase, message.FunctionLoadResponse.FunctionId),
        StreamingMessage.ContentOneofCase.InvocationResponse => Key(message.ContentCase, message.InvocationResponse.InvocationId),
        _ => Key(message.ContentCase, ""),
    };

    internal static string Key(StreamingMessage.ContentOneofCase type, string id) => $"{type}:{id}";

    /// <summary>Registers interest in the answer of <paramref name="type"/> and <paramref name="id"/>; call before sending the request.</summary>
    internal Task<StreamingMessage> Expect(StreamingMessage.ContentOneofCase type, string id = "")
    {
        var waiter = new TaskCompletionSource<StreamingMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_waiters.TryAdd(Key(type, id), waiter))
        {
            throw new InvalidOperationException($"already waiting for {type} '{id}'");
        }
        if (_closed.Task.IsCompleted)
        {
            waiter.TrySetException(new WorkerHostException($"the worker's stream is closed; no {type} will come"));
        }
        return waiter.Task;
    }

    internal void Forget(StreamingMessage.ContentOneofCase type, string id = "") => _waiters.TryRemove(Key(type, id), out _);

    internal async Task SendAsync(StreamingMessage message, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(message.RequestId))
        {
            message.RequestId = Guid.NewGuid().ToString();
        }
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            if (_closed.Task.IsCompleted)
            {
                throw new WorkerHostException($"the worker's stream is closed; cannot send {message.ContentCase}");
            }
            await _writer.WriteAsync(message, cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Reads the worker's messages until the stream ends or <paramref name="cancellationToken"/> fires.</summary>
    internal async Task RunAsync(IAsyncStreamReader<StreamingMessage> reader, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        try
        {
            while (await reader.MoveNext(cancellationToken))
            {
                Dispatch(reader.Current);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host closes the stream (fixture disposed) or the worker went away.
        }
        catch (IOException e)
        {
            failure = e;
        }
        catch (Grpc.Core.RpcException e)
        {
            failure = e;
        }
        finally
        {
            Close(failure);
        }
    }

    internal void Close(Exception? failure = null)
    {
        if (!_closed.TrySetResult())
        {
            return;
        }
        foreach (var (key, waiter) in _waiters)
        {
            waiter.TrySetException(new WorkerHostException($"the worker's stream ended before its answer ({key}) came", failure));
        }
    }

    private void Dispatch(StreamingMessage message)
    {
        if (message.ContentCase == StreamingMessage.ContentOneofCase.RpcLog)
        {
            _logs.Enqueue(message.RpcLog);
            return;
        }
        if (_waiters.TryRemove(KeyOf(message), out var waiter))
        {
            waiter.TrySetResult(message);
        }
        else
        {
            _unexpected.Enqueue(message);
        }
    }
}
