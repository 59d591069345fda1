using Microsoft.Extensions.Logging;

namespace Serverless.Backup.Runner.Logging;

/// <summary>
/// The runner's log entries. Most are sentences written once or twice a run: they are logged as they are, with the
/// text as the state (no template, so a brace in a server's error cannot be taken for a placeholder). The entries of
/// every database or every retry are source-generated with their values. Nothing here adds a secret: settings are
/// never logged, and child processes never get one in argv.
/// </summary>
public static partial class RunnerLog
{
    public static void Info(this ILogger log, string message) => Write(log, LogLevel.Information, message, null);

    public static void Warning(this ILogger log, string message) => Write(log, LogLevel.Warning, message, null);

    public static void Error(this ILogger log, string message, Exception? exception = null) => Write(log, LogLevel.Error, message, exception);

    private static void Write(ILogger log, LogLevel level, string message, Exception? exception)
    {
        if (log.IsEnabled(level))
        {
            log.Log(level, default, message, exception, static (text, _) => text);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "backed up {Database}: {Bytes} bytes, snapshot {SnapshotId}, {DataAdded} bytes added")]
    public static partial void BackedUp(this ILogger log, string database, long bytes, string snapshotId, long dataAdded);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "restored {Database} into {Target}: {Bytes} bytes from snapshot {SnapshotId}")]
    public static partial void Restored(this ILogger log, string database, string target, long bytes, string snapshotId);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "waiting for the database at {Endpoint}: {Error}")]
    public static partial void WaitingForDatabase(this ILogger log, string endpoint, string error);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "storage error: {Store} {Error}; retrying")]
    public static partial void StorageRetrying(this ILogger log, string store, string error);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "{Store} answers again after {Seconds} s of trouble (it had {Error})")]
    public static partial void StorageRecovered(this ILogger log, string store, long seconds, string? error);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "storage error on {Method} {Path} ({Store}): {Error}")]
    public static partial void StorageRequestFailed(this ILogger log, string method, string path, string store, string error);
}
