namespace Serverless.Backup.Core.Environment;

/// <summary>The MySQL or MariaDB server (from the AppBinding and its secret).</summary>
public sealed record DatabaseSettings
{
    [Env("MYSQL_HOST", Hint = "the database host name or address")]
    public string? Host { get; init; }

    [Env("MYSQL_PORT", Hint = "the database TCP port, a whole number such as 3306")]
    public int Port { get; init; } = 3306;

    [Env("MYSQL_USER", Hint = "the database user name")]
    public string? User { get; init; }

    [Env("MYSQL_PASSWORD", Secret = true, Hint = "the database user's password (from the AppBinding's secret)")]
    public string? Password { get; init; }

    [Env("MYSQL_DATABASES", Hint = "a comma-separated list of database names, or a JSON array such as [\"weird db\", \"shop\"], or leave it unset for all user databases")]
    public IReadOnlyList<string> Databases { get; init; } = [];

    [Env("MYSQL_DUMP_ARGS", Separator = ' ', Hint = "extra mysqldump arguments separated by spaces")]
    public IReadOnlyList<string> DumpArgs { get; init; } = [];

    [Env("MYSQL_RESTORE_ARGS", Separator = ' ', Hint = "extra mysql client arguments separated by spaces")]
    public IReadOnlyList<string> RestoreArgs { get; init; } = [];

    [Env("MYSQL_WAIT_TIMEOUT_SECONDS", Hint = "how long to wait for the database, in whole seconds (default 300)")]
    public TimeSpan WaitTimeout { get; init; } = TimeSpan.FromSeconds(300);

    [Env("MYSQL_SSL_CA", Hint = "the path of a CA certificate file for TLS to the database")]
    public string? SslCa { get; init; }

    internal void Validate(List<string> errors)
    {
        RunnerSettings.Require(errors, Host, RunnerSettings.NameOf<DatabaseSettings>(nameof(Host)), "the database host name or address");
        RunnerSettings.Require(errors, User, RunnerSettings.NameOf<DatabaseSettings>(nameof(User)), "the database user name");
        if (Port is < 1 or > 65535)
        {
            errors.Add($"{RunnerSettings.NameOf<DatabaseSettings>(nameof(Port))}={Port} is not valid: set it to a TCP port between 1 and 65535");
        }
        foreach (var database in Databases)
        {
            if (DatabaseNames.Problem(database) is { } problem)
            {
                errors.Add(DatabaseNames.Malformed(RunnerSettings.NameOf<DatabaseSettings>(nameof(Databases)), database, problem));
            }
        }
    }
}
