using Microsoft.Extensions.Logging;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Logging;

namespace Serverless.Backup.Runner.Logging;

/// <summary>
/// A logger whose every entry carries the run's fields (verb, namespace, configuration, session) as a scope, also
/// from threads that do not inherit the caller's scopes (the REST backend's requests, timers). Scopes opened by the
/// code (a database, a snapshot) are added as usual.
/// </summary>
public sealed class SessionLogger(ILogger inner, LogScope run) : ILogger
{
    /// <summary>The runner's logger: category Serverless.Backup.Runner, the run's fields on every entry.</summary>
    public static ILogger Create(ILoggerFactory loggers, SessionSettings session, string verb) =>
        new SessionLogger(loggers.CreateLogger("Serverless.Backup.Runner"), new LogScope(
            ("verb", verb), ("namespace", session.Namespace), ("configuration", session.Configuration), ("session", session.Name)));

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        using (inner.BeginScope(run))
        {
            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
