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
}
