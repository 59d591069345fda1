using Microsoft.Extensions.Logging;

namespace Serverless.Backup.Control.Observability;

/// <summary>
/// The control plane's log messages, source-generated: no format parsing or boxing per entry, and each message has
/// a stable EventId to query. The resource's fields (namespace, session, ...) come from the caller's
/// <see cref="LogFields"/> scope; the values here are the message's own (under "State" in the JSON line).
/// </summary>
internal static partial class ControlLog
{
    /// <summary>A timer run's summary: information, warning when anything was skipped or invalid, error when anything failed.</summary>
    [LoggerMessage(EventId = 1, Message = "{Function}: {Summary}, {Invalid} invalid, {Failed} failed")]
    public static partial void TickSummary(this ILogger logger, LogLevel level, string function, string summary, int invalid, int failed);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "{Function}: {Kind} {Namespace}/{Name} is invalid and was skipped: {Problem}")]
    public static partial void ResourceInvalid(this ILogger logger, string function, string kind, string @namespace, string name, string problem);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error,
        Message = "{Function}: {Kind} {Namespace}/{Name} could not be processed ({ExceptionType}: {Error}); the other resources were processed as usual")]
    public static partial void ResourceFailed(this ILogger logger, Exception exception, string function, string kind, string @namespace, string name, string exceptionType, string error);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "{Function} failed: {ExceptionType}: {Error}")]
    public static partial void FunctionFailed(this ILogger logger, Exception exception, string function, string exceptionType, string error);

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "{Kind} {Session} created")]
    public static partial void SessionCreated(this ILogger logger, string kind, string session);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "{Kind} {Session} created ({Task})")]
    public static partial void MaintenanceSessionCreated(this ILogger logger, string kind, string session, string? task);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "{Kind} {Session} skipped: {Detail}")]
    public static partial void SessionSkipped(this ILogger logger, string kind, string session, string detail);

    [LoggerMessage(EventId = 13, Level = LogLevel.Information, Message = "job {Job} started ({Verb}, exclusive {Exclusive})")]
    public static partial void JobStarted(this ILogger logger, string job, string verb, string exclusive);

    /// <summary>A session moved (failed, skipped, settled) or is held back, in the words of its status message.</summary>
    [LoggerMessage(EventId = 14, Message = "{Detail}")]
    public static partial void SessionPhaseChanged(this ILogger logger, LogLevel level, string detail);

    /// <summary>The runner's final report, accepted by the webhook.</summary>
    [LoggerMessage(EventId = 20, Message = "{Kind} {Session} {Outcome}: {Detail}")]
    public static partial void SessionReported(this ILogger logger, LogLevel level, string kind, string session, string outcome, string? detail);
}
