using System.Globalization;
using Microsoft.Extensions.Logging;
using Serverless.Backup.Runner.Logging;

namespace Serverless.Backup.Runner.Storage;

/// <summary>
/// Ends a run whose object store has accepted nothing for STORAGE_STALL_TIMEOUT_SECONDS while the run waited on it
/// (<see cref="StorageHealth.StalledFor"/>). Left alone, the SDKs' retries under restic's own retries would keep a
/// run waiting for many minutes (about 800 s on Azure, 240 s on S3) while its progress shows a frozen byte count,
/// and end it with restic's stack trace. The watchdog declares the store unreachable with a message in our words
/// (the store, its endpoint, what it last did, the setting to check) and cancels the run's work, which interrupts
/// restic before the end of its input: nothing of the cut dump is saved.
/// </summary>
public sealed class StorageWatchdog : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watching;

    public StorageWatchdog(StorageHealth health, TimeSpan limit, CancellationTokenSource work, ILogger log)
    {
        _watching = WatchAsync(health, limit, work, log, _stop.Token);
    }

    private static async Task WatchAsync(StorageHealth health, TimeSpan limit, CancellationTokenSource work, ILogger log, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Clamp(limit.TotalMilliseconds / 20, 100, 1000)));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                if (health.StalledFor < limit)
                {
                    continue;
                }
                var seconds = limit.TotalSeconds.ToString("0", CultureInfo.InvariantCulture);
                var message = $"{health.Description} accepted nothing for {seconds} s while the run waited on it (it last {health.LastError ?? $"gave no answer for {seconds} s"}): check {health.Settings} and the network, or raise STORAGE_STALL_TIMEOUT_SECONDS (now {seconds}) if the store is only slow";
                health.Declare(message);
                log.Error(message);
                await work.CancelAsync();
                return;
            }
        }
        catch (OperationCanceledException)
        {
            // The run ended.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _watching;
        _stop.Dispose();
    }
}
