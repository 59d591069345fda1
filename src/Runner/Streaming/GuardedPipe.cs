using CliWrap;
using Serverless.Backup.Runner.Processes;

namespace Serverless.Backup.Runner.Streaming;

/// <summary>What happened on both ends of a guarded pipe.</summary>
public sealed record PipeOutcome(int? ProducerExitCode, Exception? PipeError, int? ConsumerExitCode)
{
    /// <summary>The producer finished with exit code 0 and no error on the pipe.</summary>
    public bool ProducerSucceeded => ProducerExitCode == 0 && PipeError is null;
}

/// <summary>
/// producer → <see cref="SqlStreamMeter"/> → consumer's stdin, where the consumer must never see the end of a
/// partial stream: restic 0.14 saves whatever reached its stdin, and the mysql client applies whatever it read.
/// The consumer's stdin is closed only when the producer exited 0 and the stream ended with mysqldump's completion
/// trailer; otherwise the consumer is interrupted (SIGINT) while its input is still open, and killed after a grace
/// period. If the consumer stops reading, the producer is stopped instead of blocking on a full pipe.
/// </summary>
public static class GuardedPipe
{
    public static readonly TimeSpan InterruptGrace = TimeSpan.FromSeconds(30);

    /// <param name="interruptGrace">
    /// How long the interrupted consumer may take, asked when it is interrupted (default <see cref="InterruptGrace"/>):
    /// shorter when its cleanup cannot succeed anyway, as when the storage is unreachable.
    /// </param>
    public static async Task<PipeOutcome> RunAsync(
        Command producer, Command consumer, SqlStreamMeter meter, CancellationToken stop, Func<TimeSpan>? interruptGrace = null)
    {
        int? producerExitCode = null;
        Exception? pipeError = null;
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(stop);
        using var forceful = new CancellationTokenSource();
        await using var escalate = interrupt.Token.Register(() => forceful.CancelAfter(interruptGrace?.Invoke() ?? InterruptGrace));

        var guarded = consumer.WithStandardInputPipe(PipeSource.Create(async (stdin, stdinClosed) =>
        {
            using var killProducer = CancellationTokenSource.CreateLinkedTokenSource(stdinClosed, stop);
            var complete = false;
            try
            {
                var result = await ChildProcesses.ExecuteAsync(producer
                    .WithStandardOutputPipe(PipeTarget.Create(async (stdout, token) =>
                    {
                        try
                        {
                            await meter.CopyAsync(stdout, stdin, killProducer.Cancel, token);
                        }
                        catch
                        {
                            await killProducer.CancelAsync();
                            throw;
                        }
                    })),
                    killProducer.Token);
                producerExitCode = result.ExitCode;
                complete = result.ExitCode == 0 && meter.EndsWithCompletionTrailer;
            }
            catch (Exception e)
            {
                pipeError = e;
            }
            if (!complete)
            {
                // Never let the consumer see the end of a partial stream: interrupt it and hold stdin open until it exits.
                await interrupt.CancelAsync();
                await Task.Delay(Timeout.Infinite, stdinClosed);
            }
        }));

        int? consumerExitCode = null;
        try
        {
            consumerExitCode = (await ChildProcesses.ExecuteAsync(guarded, forceful.Token, interrupt.Token)).ExitCode;
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            // Interrupted on purpose (a failed or truncated stream) or stopped (SIGTERM): the caller decides.
        }
        return new PipeOutcome(producerExitCode, pipeError, consumerExitCode);
    }
    /// <summary>
    /// Like <see cref="RunAsync"/>, but the consumer starts only once <paramref name="open"/> has read the head of
    /// the producer's output (a backup with a binary-log position tags its snapshot with what the dump's head says).
    /// <paramref name="open"/> returns the bytes it read, which reach the consumer first, and the consumer to start;
    /// a null consumer starts nothing (the caller knows why) and the producer is stopped unless its output ended.
    /// The meter counts and hashes the head with the rest, and the consumer's stdin is closed only after the
    /// producer exited 0 with the completion trailer, as in <see cref="RunAsync"/>.
    /// </summary>
    public static async Task<PipeOutcome> RunWithHeadAsync(
        Command producer, Func<Stream, CancellationToken, Task<(byte[] Head, Command? Consumer)>> open, SqlStreamMeter meter,
        CancellationToken stop, Func<TimeSpan>? interruptGrace = null)
    {
        int? producerExitCode = null;
        int? consumerExitCode = null;
        Exception? pipeError = null;
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(stop);
        using var forceful = new CancellationTokenSource();
        await using var escalate = interrupt.Token.Register(() => forceful.CancelAfter(interruptGrace?.Invoke() ?? InterruptGrace));
        using var killProducer = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var producerDone = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task? consumerRun = null;

        async Task RunConsumerAsync(Command consumer, Stream source, TaskCompletionSource copied)
        {
            var guarded = consumer.WithStandardInputPipe(PipeSource.Create(async (stdin, stdinClosed) =>
            {
                try
                {
                    await meter.CopyAsync(source, stdin, killProducer.Cancel, stdinClosed);
                    copied.TrySetResult();
                }
                catch (Exception e)
                {
                    copied.TrySetException(e);
                    await killProducer.CancelAsync();
                }
                if (!await producerDone.Task)
                {
                    // Never let the consumer see the end of a partial stream: interrupt it and hold stdin open until it exits.
                    await interrupt.CancelAsync();
                    await Task.Delay(Timeout.Infinite, stdinClosed);
                }
            }));
            try
            {
                consumerExitCode = (await ChildProcesses.ExecuteAsync(guarded, forceful.Token, interrupt.Token)).ExitCode;
            }
            catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
            {
                // Interrupted on purpose (a failed or truncated stream) or stopped (SIGTERM): the caller decides.
            }
            finally
            {
                // A consumer that ended (or never started) before reading everything stops the producer.
                if (copied.TrySetException(new IOException("the consumer ended before it read the whole stream")))
                {
                    await killProducer.CancelAsync();
                }
            }
        }

        var complete = false;
        try
        {
            var result = await ChildProcesses.ExecuteAsync(producer
                .WithStandardOutputPipe(PipeTarget.Create(async (stdout, token) =>
                {
                    try
                    {
                        var (head, consumer) = await open(stdout, token);
                        if (consumer is null)
                        {
                            // Nothing starts: stop the producer unless its output has ended already.
                            if (stdout.Read(new byte[1], 0, 1) > 0)
                            {
                                await killProducer.CancelAsync();
                                await stdout.CopyToAsync(Stream.Null, CancellationToken.None);
                            }
                            return;
                        }
                        var copied = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        consumerRun = RunConsumerAsync(consumer, new PrefixedStream(head, stdout), copied);
                        await copied.Task;
                    }
                    catch
                    {
                        await killProducer.CancelAsync();
                        throw;
                    }
                })),
                killProducer.Token);
            producerExitCode = result.ExitCode;
            complete = result.ExitCode == 0 && meter.EndsWithCompletionTrailer;
        }
        catch (Exception e)
        {
            pipeError = e;
        }
        finally
        {
            producerDone.TrySetResult(complete);
        }
        if (consumerRun is not null)
        {
            await consumerRun;
        }
        return new PipeOutcome(producerExitCode, pipeError, consumerExitCode);
    }
}

/// <summary>Bytes already read, then the rest of a stream (reading only).</summary>
public sealed class PrefixedStream(byte[] head, Stream rest) : Stream
{
    private int _position;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_position < head.Length)
        {
            var n = Math.Min(buffer.Length, head.Length - _position);
            head.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }
        return rest.Read(buffer);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
