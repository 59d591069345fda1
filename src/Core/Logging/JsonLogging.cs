using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Serverless.Backup.Core.Logging;

/// <summary>
/// The one log format of the app and the runner: the framework's JSON console formatter, one object a line, with
/// the UTC time, the level as the framework names it (Information, Warning, Error), the category, the message, its
/// values (State) and the scopes (<see cref="LogScope"/>). Log collectors (the Functions host, Container Insights)
/// take a line as one entry.
/// </summary>
public static class JsonLogging
{
    public const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    /// <summary>
    /// Logs to the console in the shared format: stdout, or stderr for a program whose stdout carries something
    /// else (the runner's events). The framework's own categories log warnings and errors only.
    /// </summary>
    public static ILoggingBuilder AddBackupJsonConsole(this ILoggingBuilder logging, bool standardError = false)
    {
        logging.AddJsonConsole(options =>
        {
            options.IncludeScopes = true;
            options.UseUtcTimestamp = true;
            options.TimestampFormat = TimestampFormat;
            // Quotes and non-ASCII names stay readable in the line (and greppable); the output is never HTML.
            options.JsonWriterOptions = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        });
        if (standardError)
        {
            logging.Services.Configure<ConsoleLoggerOptions>(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
        }
        logging.AddFilter("Microsoft", LogLevel.Warning);
        logging.AddFilter("System", LogLevel.Warning);
        return logging;
    }
}
