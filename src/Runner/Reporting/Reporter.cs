using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Logging;

namespace Serverless.Backup.Runner.Reporting;

/// <summary>
/// Builds a run's events and hands them to the sinks in order. Progress is reported by a ticker every interval
/// while a database streams (so a stalled stream still shows it is alive) and queued, so a slow sink (a webhook that retries) never slows the data path; the final event waits for the
/// queue to drain. A sink that throws is logged and skipped: reporting never fails a run.
/// </summary>
public sealed class Reporter : IAsyncDisposable
{
    private readonly IReadOnlyList<IEventSink> _sinks;
    private readonly SessionSettings _session;
    private readonly string _verb;
    private readonly TimeSpan _interval;
    private readonly ILogger _log;
    private readonly Channel<RunnerEvent> _queue = Channel.CreateUnbounded<RunnerEvent>(new() { SingleReader = true });
    private readonly Task _pump;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stopTicker = new();
    private readonly Task _ticker;
    private volatile string? _database;
    private long _databaseBytes;
    private long _totalBytes;

    public Reporter(IReadOnlyList<IEventSink> sinks, SessionSettings session, string verb, TimeSpan interval, ILogger log)
    {
        _sinks = sinks;
        _session = session;
        _verb = verb;
        _interval = interval;
        _log = log;
        _pump = Task.Run(PumpAsync);
        _ticker = Task.Run(TickAsync);
    }

    public TimeSpan Elapsed => _clock.Elapsed;

    public void Started(IReadOnlyList<string> databases) =>
        _queue.Writer.TryWrite(new StartedEvent { Verb = _verb, Namespace = _session.Namespace, Session = SessionName, Time = DateTimeOffset.UtcNow, Databases = databases });

    /// <summary>Called from the copy loop with the bytes just moved: only counts; the ticker reports.</summary>
    public void Advance(string database, long databaseBytes, int justMoved)
    {
        _database = database;
        Interlocked.Exchange(ref _databaseBytes, databaseBytes);
        Interlocked.Add(ref _totalBytes, justMoved);
    }

    /// <summary>Every interval while a database is being streamed, a progress event (also when the stream stalls).</summary>
    private async Task TickAsync()
    {
        using var timer = new PeriodicTimer(_interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopTicker.Token))
            {
                if (_database is { } database)
                {
                    _queue.Writer.TryWrite(new ProgressEvent
                    {
                        Verb = _verb, Namespace = _session.Namespace, Session = SessionName, Time = DateTimeOffset.UtcNow,
                        Database = database, BytesDone = Interlocked.Read(ref _databaseBytes), TotalBytesDone = Interlocked.Read(ref _totalBytes),
                        ElapsedSeconds = Math.Round(_clock.Elapsed.TotalSeconds, 1),
                    });
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The run finished.
        }
    }

    public Task SucceededAsync(IReadOnlyList<DatabaseResult> databases, CancellationToken cancellationToken) =>
        SucceededAsync(databases, null, null, null, cancellationToken);

    public Task SucceededAsync(
        IReadOnlyList<DatabaseResult> databases, RetentionResult? retention, RepositoryReport? repository, string? warning,
        CancellationToken cancellationToken, PointInTimeReport? pointInTime = null) =>
        FinishAsync(new SucceededEvent
        {
            Verb = _verb, Namespace = _session.Namespace, Session = SessionName, Time = DateTimeOffset.UtcNow,
            Databases = databases, DurationSeconds = Math.Round(_clock.Elapsed.TotalSeconds, 3),
            Retention = retention, Repository = repository, Warning = warning, PointInTime = pointInTime,
        }, cancellationToken);

    /// <summary>A point-in-time restore's end: the databases restored and the second they were brought to (PointInTime.RestoredTo).</summary>
    public Task SucceededAsync(IReadOnlyList<DatabaseResult> databases, PointInTimeReport pointInTime, CancellationToken cancellationToken) =>
        FinishAsync(new SucceededEvent
        {
            Verb = _verb, Namespace = _session.Namespace, Session = SessionName, Time = DateTimeOffset.UtcNow,
            Databases = databases, DurationSeconds = Math.Round(_clock.Elapsed.TotalSeconds, 3), PointInTime = pointInTime,
        }, cancellationToken);

    /// <summary>A verify run's end: the restores it made (into scratch databases) and what it proved.</summary>
    public Task VerifiedAsync(
        IReadOnlyList<DatabaseResult> databases, VerificationResult verification, string? warning, CancellationToken cancellationToken) =>
        FinishAsync(new SucceededEvent
        {
            Verb = _verb, Namespace = _session.Namespace, Session = SessionName, Time = DateTimeOffset.UtcNow,
            Databases = databases, DurationSeconds = Math.Round(_clock.Elapsed.TotalSeconds, 3), Warning = warning, Verification = verification,
        }, cancellationToken);

    public Task FailedAsync(FailureReason reason, string message, string? database, CancellationToken cancellationToken) =>
        FailedAsync(reason, message, database, null, cancellationToken);

    public Task FailedAsync(FailureReason reason, string message, string? database, RepositoryReport? repository, CancellationToken cancellationToken) =>
        FailedAsync(reason, message, database, repository, null, cancellationToken);

    public Task FailedAsync(
        FailureReason reason, string message, string? database, RepositoryReport? repository, VerificationResult? verification,
        CancellationToken cancellationToken) =>
        FailedAsync(reason, message, database, repository, verification, null, cancellationToken);

    public Task FailedAsync(
        FailureReason reason, string message, string? database, RepositoryReport? repository, VerificationResult? verification,
        PointInTimeReport? pointInTime, CancellationToken cancellationToken) =>
        FinishAsync(new FailedEvent
        {
            Verb = _verb, Namespace = _session.Namespace, Session = SessionName, Time = DateTimeOffset.UtcNow,
            Reason = reason, Message = message, Database = database, Repository = repository, Verification = verification,
            PointInTime = pointInTime,
        }, cancellationToken);

    private string SessionName => _session.Name ?? "";

    private long _sequence;

    private async Task FinishAsync(RunnerEvent final, CancellationToken cancellationToken)
    {
        await StopTickerAsync();
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
        // Numbered as published: the pump publishes in order, and the final event only after the pump has ended.
        e = e with { Sequence = ++_sequence };
        foreach (var sink in _sinks)
        {
            try
            {
                await sink.PublishAsync(e, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                _log.Warning($"{sink.GetType().Name} could not publish the {e.GetType().Name}: {ex.Message}");
            }
        }
    }

    private async Task StopTickerAsync()
    {
        await _stopTicker.CancelAsync();
        await _ticker;
    }

    public async ValueTask DisposeAsync()
    {
        await StopTickerAsync();
        _queue.Writer.TryComplete();
        await _pump;
        _stopTicker.Dispose();
    }
}
