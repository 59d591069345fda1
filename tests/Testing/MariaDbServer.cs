using System.Diagnostics;
using MySqlConnector;

namespace Serverless.Backup.Testing;

/// <summary>
/// A real MariaDB server (Debian mariadb-server) in a temporary data folder on a free loopback port, with an
/// administrative user <see cref="User"/> reachable over TCP. One per test assembly: tests use their own databases.
/// </summary>
public sealed class MariaDbServer : IAsyncDisposable
{
    public const string User = "backup";
    public const string Password = "backup-pw 'quoted\" \\slashed";

    private readonly Process _process;
    private readonly string _folder;

    private MariaDbServer(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }
    public string Host => "127.0.0.1";
    public string Socket => Path.Combine(_folder, "mysqld.sock");
    /// <summary>The server's data folder (where a server started with --log-bin=name keeps its binary logs).</summary>
    public string DataFolder => Path.Combine(_folder, "data");

    public static Task<MariaDbServer> StartAsync(CancellationToken cancellationToken = default) => StartAsync([], cancellationToken);

    /// <summary>A server with extra mariadbd options (such as --lower-case-table-names=1), for tests that need another server.</summary>
    public static async Task<MariaDbServer> StartAsync(IReadOnlyList<string> options, CancellationToken cancellationToken = default)
    {
        var folder = TestEnvironment.TempFolder("mariadb");
        var data = Path.Combine(folder, "data");
        var install = Process.Start(new ProcessStartInfo("mariadb-install-db")
        {
            ArgumentList = { "--no-defaults", $"--datadir={data}", "--auth-root-authentication-method=socket", "--skip-test-db", "--user=root" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("mariadb-install-db did not start: run scripts/install.sh");
        var installErrors = install.StandardError.ReadToEndAsync(cancellationToken);
        await install.StandardOutput.ReadToEndAsync(cancellationToken);
        await install.WaitForExitAsync(cancellationToken);
        if (install.ExitCode != 0)
        {
            throw new InvalidOperationException("mariadb-install-db failed: " + await installErrors);
        }

        var port = TestEnvironment.FreePort();
        var start = new ProcessStartInfo("mariadbd")
        {
            ArgumentList =
            {
                "--no-defaults", $"--datadir={data}", $"--socket={Path.Combine(folder, "mysqld.sock")}", $"--port={port}",
                "--bind-address=127.0.0.1", "--user=root", "--skip-log-bin", "--skip-name-resolve",
                "--innodb-buffer-pool-size=128M", "--innodb-log-file-size=48M", "--innodb-flush-log-at-trx-commit=0",
                "--max-connections=200", $"--pid-file={Path.Combine(folder, "mysqld.pid")}", "--log-error=" + Path.Combine(folder, "error.log"),
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var option in options)
        {
            start.ArgumentList.Add(option);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("mariadbd did not start: run scripts/install.sh");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new MariaDbServer(process, folder, port);
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                try
                {
                    await using var root = new MySqlConnection($"Server={server.Socket};Protocol=Unix;User ID=root;Pooling=false");
                    await root.OpenAsync(cancellationToken);
                    await using var command = new MySqlCommand(
                        $"CREATE USER '{User}'@'%' IDENTIFIED BY '{Escape(Password)}'; GRANT ALL ON *.* TO '{User}'@'%' WITH GRANT OPTION;", root);
                    await command.ExecuteNonQueryAsync(cancellationToken);
                    return server;
                }
                catch (MySqlException) when (DateTime.UtcNow < deadline && !process.HasExited)
                {
                    await Task.Delay(200, cancellationToken);
                }
            }
        }
        catch
        {
            var log = File.Exists(Path.Combine(folder, "error.log")) ? File.ReadAllText(Path.Combine(folder, "error.log")) : "";
            await server.DisposeAsync();
            throw new InvalidOperationException("MariaDB did not become ready: " + log);
        }
    }

    /// <summary>A connection string for the admin user, optionally on a database.</summary>
    public string ConnectionString(string? database = null) =>
        new MySqlConnectionStringBuilder
        {
            Server = Host, Port = (uint)Port, UserID = User, Password = Password, Database = database ?? "",
            Pooling = false, AllowUserVariables = true, AllowPublicKeyRetrieval = true, SslMode = MySqlSslMode.None,
        }.ConnectionString;

    /// <summary>Runs SQL (several statements allowed) as the admin user.</summary>
    public async Task ExecuteAsync(string sql, string? database = null, CancellationToken cancellationToken = default)
    {
        await using var connection = new MySqlConnection(ConnectionString(database));
        await connection.OpenAsync(cancellationToken);
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Rows of a query as strings (NULL as null).</summary>
    public async Task<IReadOnlyList<string?[]>> QueryAsync(string sql, string? database = null, CancellationToken cancellationToken = default)
    {
        await using var connection = new MySqlConnection(ConnectionString(database));
        await connection.OpenAsync(cancellationToken);
        await using var command = new MySqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<string?[]>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new string?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
            }
            rows.Add(row);
        }
        return rows;
    }

    public static string Escape(string value) => value.Replace("\\", "\\\\").Replace("'", "\\'");

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
