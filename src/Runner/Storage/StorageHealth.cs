using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Serverless.Backup.Runner.Logging;

namespace Serverless.Backup.Runner.Storage;

/// <summary>
/// What the object store has been answering, one HTTP attempt at a time (each try of the SDKs, below their
/// retries): the Azure and S3 stores report every attempt here. The store is in trouble from the first attempt that
/// failed (5xx, 408, 429, a reset or refused connection, a timeout) or that has waited for its answer, until any
/// attempt succeeds; <see cref="StalledFor"/> is how long that has lasted, which <see cref="StorageWatchdog"/>
/// compares with STORAGE_STALL_TIMEOUT_SECONDS. A store that merely has nothing to do (a slow dump fills no pack)
/// is never in trouble. The first failure of a trouble is logged as a warning, and so is the recovery.
/// </summary>
public sealed class StorageHealth(ILogger log)
{
    /// <summary>An attempt cancelled by its caller after waiting this long without an answer counts as unanswered.</summary>
    private static readonly TimeSpan Unanswered = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly Dictionary<long, long> _pending = [];
    private long _nextAttempt;
    private long _lastAnswer = Stopwatch.GetTimestamp();
    private long? _troubleSince;

    /// <summary>The store, for messages ("azure container 'x' at https://…"); set when the store is opened.</summary>
    public string Description { get; set; } = "the storage";

    /// <summary>The settings that say where the store is, for messages ("AZURE_ENDPOINT (or AZURE_ACCOUNT_NAME)").</summary>
    public string Settings { get; set; } = "the storage settings";

    /// <summary>What the store last did wrong, in words ("answered 503 Service Unavailable (ServerBusy)"); null when nothing.</summary>
    public string? LastError { get; private set; }

    /// <summary>Set once the watchdog declared the store unreachable: its message.</summary>
    public string? Unreachable { get; private set; }

    /// <summary>True while an attempt has failed and none succeeded since.</summary>
    public bool Failing
    {
        get
        {
            lock (_lock)
            {
                return _troubleSince is not null;
            }
        }
    }

    /// <summary>How long the store has taken nothing while attempts failed or waited (zero when all is well).</summary>
    public TimeSpan StalledFor
    {
        get
        {
            lock (_lock)
            {
                long? since = _troubleSince;
                foreach (var start in _pending.Values)
                {
                    since = since is { } s ? Math.Min(s, start) : start;
                }
                return since is { } t ? Stopwatch.GetElapsedTime(Math.Max(t, _lastAnswer)) : TimeSpan.Zero;
            }
        }
    }

    public long Begin()
    {
        lock (_lock)
        {
            var attempt = ++_nextAttempt;
            _pending[attempt] = Stopwatch.GetTimestamp();
            return attempt;
        }
    }

    /// <summary>The attempt got an HTTP answer: a success, a client error the caller handles (404, 409, 412…), or a failure.</summary>
    public void Answered(long attempt, int status, string? reason, string? errorCode)
    {
        if (status >= 500 || status is 408 or 429)
        {
            var code = errorCode is { Length: > 0 } ? $" ({errorCode})" : "";
            Fail(attempt, $"answered {status.ToString(CultureInfo.InvariantCulture)} {reason}{code}".TrimEnd(), null);
            return;
        }
        bool recovered;
        TimeSpan troubled;
        lock (_lock)
        {
            _pending.Remove(attempt);
            recovered = _troubleSince is not null;
            troubled = recovered ? Stopwatch.GetElapsedTime(_troubleSince!.Value) : TimeSpan.Zero;
            _troubleSince = null;
            _lastAnswer = Stopwatch.GetTimestamp();
        }
        if (recovered)
        {
            log.StorageRecovered(Description, (long)troubled.TotalSeconds, LastError);
        }
    }

    /// <summary>The attempt failed without an HTTP answer (connection reset or refused, a timeout).</summary>
    public void Failed(long attempt, Exception error) =>
        Fail(attempt, "failed: " + error.GetBaseException().Message.Split('\n')[0].Trim(), null);

    /// <summary>The caller gave up on the attempt; one that had waited long for an answer counts as unanswered.</summary>
    public void Abandoned(long attempt)
    {
        long start;
        lock (_lock)
        {
            if (!_pending.Remove(attempt, out start))
            {
                return;
            }
        }
        var waited = Stopwatch.GetElapsedTime(start);
        if (waited >= Unanswered)
        {
            Fail(attempt, $"gave no answer for {waited.TotalSeconds:0} s", start);
        }
    }

    /// <summary>The watchdog's verdict: from now on nothing waits on the store.</summary>
    public void Declare(string message) => Unreachable = message;

    private void Fail(long attempt, string error, long? since)
    {
        bool first;
        lock (_lock)
        {
            // The trouble began when the failed attempt started waiting.
            var began = since ?? (_pending.Remove(attempt, out var start) ? start : Stopwatch.GetTimestamp());
            first = _troubleSince is null;
            _troubleSince = _troubleSince is { } t ? Math.Min(t, began) : began;
            LastError = error;
        }
        if (first)
        {
            log.StorageRetrying(Description, error);
        }
    }
}
