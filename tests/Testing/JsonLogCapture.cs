using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Serverless.Backup.Core.Logging;

namespace Serverless.Backup.Testing;

/// <summary>
/// Loggers that write the production format (<see cref="JsonLogging"/>: the framework's JSON console formatter, with
/// the same options) into a <see cref="TextWriter"/>, so that in-process tests read what the console would show.
/// Writes lock the writer.
/// </summary>
public static class JsonLogCapture
{
    public static ILoggerFactory To(TextWriter writer)
    {
        var services = new ServiceCollection().AddLogging(logging => logging.AddBackupJsonConsole()).BuildServiceProvider();
        var formatter = services.GetServices<ConsoleFormatter>().Single(f => f.Name == ConsoleFormatterNames.Json);
        return LoggerFactory.Create(logging => logging.AddProvider(new WriterProvider(formatter, writer)));
    }

    private sealed class WriterProvider(ConsoleFormatter formatter, TextWriter writer) : ILoggerProvider, ISupportExternalScope
    {
        private readonly ConsoleFormatter _formatter = formatter;
        private readonly TextWriter _writer = writer;
        private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

        public ILogger CreateLogger(string categoryName) => new WriterLogger(this, categoryName);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose()
        {
        }

        private sealed class WriterLogger(WriterProvider provider, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => provider._scopes.Push(state);

            public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var line = new StringWriter();
                provider._formatter.Write(new LogEntry<TState>(logLevel, category, eventId, state, exception, formatter), provider._scopes, line);
                lock (provider._writer)
                {
                    provider._writer.Write(line.ToString());
                }
            }
        }
    }
}
