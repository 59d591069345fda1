using Microsoft.Extensions.Logging;
using Serverless.Backup.Core.Logging;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Core.Tests.Logging;

/// <summary>The shared log format, written by the framework's JSON console formatter with the options of <see cref="JsonLogging"/>.</summary>
public sealed class JsonLoggingTests
{
    [Fact]
    public void An_entry_is_one_line_with_the_utc_time_the_framework_level_the_message_and_the_set_scope_fields()
    {
        var output = new StringWriter();
        using (var loggers = JsonLogCapture.To(output))
        {
            var log = loggers.CreateLogger("Serverless.Backup.Test");
            using (log.BeginScope(new LogScope(("namespace", "prod"), ("session", "shop-1"), ("configuration", null), ("reason", ""))))
            {
                log.LogWarning("database {Database} is 'busy'\nretrying", "shop");
            }
            log.LogError(new InvalidOperationException("boom"), "failed");
        }

        var lines = LogLine.ParseAll(output.ToString());
        Assert.Equal(2, lines.Count);
        var warning = lines[0];
        Assert.Equal(("Warning", "Serverless.Backup.Test", "database shop is 'busy'\nretrying"), (warning.Level, warning.Category, warning.Message));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", warning.Json.GetProperty("Timestamp").GetString());
        Assert.Equal("shop", warning.Json.GetProperty("State").GetProperty("Database").GetString());
        Assert.Equal(("prod", "shop-1"), (warning.Scope("namespace"), warning.Scope("session")));
        // Fields without a value are left out.
        Assert.Null(warning.Scope("configuration"));
        Assert.Null(warning.Scope("reason"));
        Assert.Equal("namespace=prod session=shop-1", warning.Json.GetProperty("Scopes")[0].GetProperty("Message").GetString());
        // Readable in the raw line too: quotes are not escaped, a line break is.
        Assert.Contains("is 'busy'\\nretrying", output.ToString().Split('\n')[0]);

        var error = lines[1];
        Assert.Equal("Error", error.Level);
        Assert.Contains("InvalidOperationException: boom", error.Json.GetProperty("Exception").GetString());
        Assert.Equal(0, error.Json.GetProperty("Scopes").GetArrayLength());
    }
}
