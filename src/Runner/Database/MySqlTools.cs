using System.Text;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;

namespace Serverless.Backup.Runner.Database;

/// <summary>
/// The MySQL command-line tools: mariadb-dump or mysqldump, mariadb or mysql, whichever is on PATH. The password
/// reaches them through an option file that lives in memory only (<see cref="ClientOptionFile"/>, named with
/// --defaults-file), never through argv.
/// </summary>
public sealed class MySqlTools : IDisposable
{
    /// <summary>Options a safe logical backup needs; --skip-dump-date keeps unchanged data byte-identical (deduplication).</summary>
    public static readonly IReadOnlyList<string> SafeDumpOptions =
        ["--single-transaction", "--routines", "--triggers", "--events", "--hex-blob", "--skip-dump-date"];

    /// <summary>mysqldump's last line when it finished (with --skip-dump-date it carries no date).</summary>
    public const string CompletionTrailer = "-- Dump completed";

    private readonly DatabaseSettings _settings;
    private readonly ClientOptionFile _options;

    public MySqlTools(DatabaseSettings settings, string tempFolder)
    {
        _settings = settings;
        DumpPath = Find("mariadb-dump", "mysqldump");
        ClientPath = Find("mariadb", "mysql");
        var text = new StringBuilder()
            .AppendLine("[client]")
            .AppendLine($"host={_settings.Host}")
            .AppendLine($"port={_settings.Port}")
            .AppendLine($"user={Quote(_settings.User ?? "")}")
            .AppendLine($"password={Quote(_settings.Password ?? "")}")
            .AppendLine("protocol=TCP");
        if (_settings.SslCa is not null)
        {
            text.AppendLine($"ssl-ca={_settings.SslCa}");
        }
        _options = ClientOptionFile.Create(text.ToString(), tempFolder);
    }

    public string DumpPath { get; }
    public string ClientPath { get; }

    /// <summary>The dump tool's --version line (which tool and version it is).</summary>
    public async Task<string> DumpVersionAsync(CancellationToken cancellationToken)
    {
        var output = new StringBuilder();
        await Processes.ChildProcesses.ExecuteAsync(
            CliWrap.Cli.Wrap(DumpPath).WithArguments(["--version"])
                .WithStandardOutputPipe(CliWrap.PipeTarget.ToStringBuilder(output))
                .WithValidation(CliWrap.CommandResultValidation.None),
            cancellationToken);
        return output.ToString().Trim();
    }

    /// <summary>mariadb-binlog, else mysqlbinlog (found when first needed: only the archive verb uses it).</summary>
    public string BinlogPath => _binlogPath ??= Find("mariadb-binlog", "mysqlbinlog");
    private string? _binlogPath;

    /// <summary>
    /// The dump of one database with its binary-log position in a comment at its head (--master-data=2 or
    /// --source-data=2, see <see cref="PointInTime.BinlogState.DumpOptions"/>) and, on MariaDB, --gtid.
    /// </summary>
    public IReadOnlyList<string> DumpArguments(string database, IReadOnlyList<string> positionOptions) =>
        [$"--defaults-file={_options.Path}", .. SafeDumpOptions, .. positionOptions, .. _settings.DumpArgs, "--", database];

    /// <summary>
    /// Copies one binary log from the server, byte for byte, into <paramref name="folder"/> (which must end with
    /// '/': the tool appends the log's name): --read-from-remote-server --raw.
    /// </summary>
    public IReadOnlyList<string> BinlogArguments(string file, string folder) =>
        [$"--defaults-file={_options.Path}", "--read-from-remote-server", "--raw", $"--result-file={folder}", "--", file];

    /// <summary>The dump of one database: no --databases, so the stream has no CREATE DATABASE/USE and restores under any name.</summary>
    public IReadOnlyList<string> DumpArguments(string database) =>
        [$"--defaults-file={_options.Path}", .. SafeDumpOptions, .. _settings.DumpArgs, "--", database];

    public IReadOnlyList<string> ClientArguments(string database) =>
        [$"--defaults-file={_options.Path}", .. _settings.RestoreArgs, $"--database={database}"];

    public void Dispose() => _options.Dispose();

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    /// <summary>The first of the tools named that is on PATH (mariadb-… before mysql…); invalidSettings when none is.</summary>
    internal static string Find(params string[] names)
    {
        var path = System.Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var name in names)
        {
            foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
            {
                var candidate = Path.Combine(dir, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        throw new RunnerFailure(FailureReason.InvalidSettings,
            $"neither {string.Join(" nor ", names)} is on PATH: install the MySQL or MariaDB client tools in the runner image");
    }
}
