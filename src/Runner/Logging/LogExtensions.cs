namespace Serverless.Backup.Runner.Logging;

/// <summary>Structured fields for the runner's log, whatever writer it is (plain text in unit tests, JSON in the program).</summary>
public static class LogExtensions
{
    /// <summary>An info entry naming its database and snapshot.</summary>
    public static async Task InfoAsync(this TextWriter log, string message, string? database, string? snapshotId)
    {
        if (log is JsonLogWriter json)
        {
            json.Entry("info", message, database, snapshotId);
        }
        else
        {
            await log.WriteLineAsync(message);
        }
    }

    /// <summary>The database the next entries are about (null: none).</summary>
    public static void ForDatabase(this TextWriter log, string? database)
    {
        if (log is JsonLogWriter json)
        {
            json.Database = database;
        }
    }
}
