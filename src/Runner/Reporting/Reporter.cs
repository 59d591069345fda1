using System.Diagnostics;
using System.Threading.Channels;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;

namespace Serverless.Backup.Runner.Reporting;

/// <summary>
/// Builds a run's events and hands them to the sinks in order. Progress is throttled to the configured interval
/// and queued, so a slow sink (a webhook that retries) never slows the data path; the final event waits for the
/// queue to drain. A sink that throws is logged and skipped: reporting never fails a run.
/// </summary>
public sealed class Reporter : IAsyncDisposable
{
    private readonly IReadOnlyList<IEventSink> _sinks;
    private readonly SessionSettings _session;
    private readonly string _verb;
    private readonly TimeSpan _interval;
    private readonly TextWriter _log;
    private readonly Channel<RunnerEvent> _queue = Channel.CreateUnbounded<RunnerEvent>(new() { SingleReader = true });
    private readonly Task _pump;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _lastProgress = TimeSpan.Zero;
    private long _totalBytes;

    public Reporter(IReadOnlyList<IEventSink> sinks, SessionSettings session, string verb, TimeSpan interval, TextWriter log)
    {
        _sinks = sinks;
        _session = session;
        _verb = verb;
        _interval = interval;
        _log = log;
        _pump = Task.Run(PumpAsync);
    }

    public TimeSpan Elapsed => _clock.Elapsed;

    public void Started(IReadOnlyList<string> databases) =>
        _queue.Writer.TryWrite(new StartedEvent { Verb = _verb, Namespace = _session.Namespace, Session = SessionName, Time = DateTimeOffset.UtcNow, Databases = databases });

    /// <summary>Called from the copy loop with the bytes just moved; emits at most one event per interval.</summary>
    public void Advance(string database, long databaseBytes, int justMoved)
    {
        var total = Interlocked.Add(ref _totalBytes, justMoved);
        var now = _clock.Elapsed;
        if (now - _lastProgress < _interval)
        {
            return;
        }
        _lastProgress = now;
        _queue.Writer.TryWrite(new ProgressEvent
        {
            Verb = _verb, Namespace = _session.Namespace, Session = SessionName, Time = DateTimeOffset.UtcNow,
            Database = database, BytesDone = databaseBytes, TotalBytesDone = total, ElapsedSeconds = Math.Round(now.TotalSeconds, 1),
        });
    }

    public Task SucceededAsync(IReadOnlyList<DatabaseResult> databases, CancellationToken cancellationToken) =>
        FinishAsync(new SucceededEvent
        {
            Verb = _verb, Namespace = _session.Namespace, Session = SessionName, Time = DateTimeOffset.UtcNow,
            Databases = databases, DurationSeconds = Math.Round(_clock.Elapsed.TotalSeconds, 3),
        }, cancellationToken);

    public Task FailedAsync(FailureReason reason, string message, string? database, CancellationToken cancellationToken) =>
        FinishAsync(new FailedEvent
        {
            Verb = _verb, Namespace = _session.Namespace, Session = SessionName, Time = DateTimeOffset.UtcNow,
            Reason = reason, Message = message, Database = database,
        }, cancellationToken);

    private string SessionName => _session.Name ?? "";

    private async Task FinishAsync(RunnerEvent final, CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await _pump;
        await PublishAsync(final, cancellationToken);
    }

    private async Task PumpAsync()
    {
        await foreach (var e in _queue.Reader.ReadAllAsync())
        {
            await PublishAsync(e, CancellationToken.None);
        }
    }

    private async Task PublishAsync(RunnerEvent e, CancellationToken cancellationToken)
    {
        foreach (var sink in _sinks)
        {
            try
            {
                await sink.PublishAsync(e, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                await _log.WriteLineAsync($"warning: {sink.GetType().Name} could not publish the {e.GetType().Name}: {ex.Message}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _pump;
    }
}
