using System.Globalization;
using MySqlConnector;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Database;
using Serverless.Backup.Runner.Privileges;

namespace Serverless.Backup.Runner.PointInTime;

/// <summary>The server's binary-log settings, as point-in-time recovery needs them.</summary>
public sealed record BinlogState(ServerKind Kind, bool LogBin, long ServerId, string? Format, string? RowImage)
{
    /// <summary>
    /// The dump tool's options for the position, which depend on the tool (the image may hold MariaDB's tools for a
    /// MySQL server): mariadb-dump knows only --master-data=2, and --gtid when the server is MariaDB (its GTID
    /// variables); MySQL's mysqldump from 8.0.26 on takes --source-data=2 (--master-data is deprecated there), before
    /// that --master-data=2.
    /// </summary>
    public IReadOnlyList<string> DumpOptions(DumpTool tool) =>
        tool.MariaDb
            ? Kind.MariaDb ? ["--master-data=2", "--gtid"] : ["--master-data=2"]
            : tool.Version >= new Version(8, 0, 26) ? ["--source-data=2"] : ["--master-data=2"];

    /// <summary>The option that enables binary logging and the variable that bounds how long logs are kept, as this server names them.</summary>
    public string ExpiryVariable => Kind.MariaDb || Kind.Version.Major < 8 ? "expire_logs_days (binlog_expire_logs_seconds on MariaDB 10.6+)" : "binlog_expire_logs_seconds";

    /// <summary>Fails when binary logging is off, naming log_bin and how to turn it on.</summary>
    public void RequireLogBin(string endpoint, string purpose)
    {
        if (!LogBin)
        {
            throw new RunnerFailure(FailureReason.BinaryLogUnavailable,
                $"the server at {endpoint} has binary logging off (log_bin=OFF), which {purpose} needs: start it with --log-bin (log_bin=mysql-bin in its configuration, binlog_format=ROW, a unique server_id, and {ExpiryVariable} longer than the archive interval) and restart it; with the Bitnami or official images set it in the server's my.cnf, with KubeDB in the MariaDB/MySQL resource's configSecret");
        }
    }

    /// <summary>Settings that work but make replay less exact or safe: a warning each.</summary>
    public IReadOnlyList<string> Warnings()
    {
        var warnings = new List<string>();
        if (Format is { } format && !format.Equals("ROW", StringComparison.OrdinalIgnoreCase))
        {
            warnings.Add($"binlog_format is {format}, not ROW: replaying statements may not give the same data as on the server (non-deterministic statements); set binlog_format=ROW");
        }
        if (RowImage is { } image && !image.Equals("FULL", StringComparison.OrdinalIgnoreCase))
        {
            warnings.Add($"binlog_row_image is {image}, not FULL: row events hold only some columns, which replay into a restored dump can mis-apply; set binlog_row_image=FULL");
        }
        return warnings;
    }
}

/// <summary>The dump tool: MariaDB's or MySQL's, and its version (from its --version).</summary>
public sealed record DumpTool(bool MariaDb, Version Version)
{
    /// <summary>From `mysqldump --version`: `mysqldump  Ver 8.0.36 for Linux`, `mysqldump  Ver 10.13 Distrib 5.7.44, for Linux`, `mariadb-dump from 11.4.2-MariaDB` or `mysqldump  Ver 10.19 Distrib 10.11.19-MariaDB`.</summary>
    public static DumpTool Parse(string version)
    {
        var match = System.Text.RegularExpressions.Regex.Match(version, @"Distrib (\d+)\.(\d+)\.(\d+)");
        if (!match.Success)
        {
            match = System.Text.RegularExpressions.Regex.Match(version, @"(?:Ver|from) (\d+)\.(\d+)\.(\d+)");
        }
        var parsed = match.Success
            ? new Version(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture))
            : new Version(0, 0, 0);
        return new(version.Contains("MariaDB", StringComparison.OrdinalIgnoreCase), parsed);
    }
}

/// <summary>One entry of SHOW BINARY LOGS.</summary>
public sealed record ServerBinlog(string File, long Size);

/// <summary>The binary-log queries of point-in-time recovery, as the run's user.</summary>
public sealed class BinlogServer(MySqlServer server)
{
    public async Task<BinlogState> ReadStateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await server.OpenAsync(cancellationToken);
        await using var command = new MySqlCommand("SELECT VERSION(), @@log_bin, @@server_id, @@binlog_format", connection);
        string version;
        bool logBin;
        long serverId;
        string? format;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            version = reader.GetString(0);
            logBin = Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture) != 0;
            serverId = Convert.ToInt64(reader.GetValue(2), CultureInfo.InvariantCulture);
            format = reader.IsDBNull(3) ? null : reader.GetString(3);
        }
        string? image = null;
        try
        {
            // MySQL 5.6 and MariaDB 10.1 have it; older servers write whole rows.
            await using var row = new MySqlCommand("SELECT @@binlog_row_image", connection);
            image = await row.ExecuteScalarAsync(cancellationToken) as string;
        }
        catch (MySqlException)
        {
        }
        return new BinlogState(ServerKind.Parse(version), logBin, serverId, format, image);
    }

    /// <summary>FLUSH BINARY LOGS: the server closes its current log and opens the next.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await using var connection = await server.OpenAsync(cancellationToken);
        await using var command = new MySqlCommand("FLUSH BINARY LOGS", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>SHOW BINARY LOGS, oldest first; the last is the one the server writes to.</summary>
    public async Task<IReadOnlyList<ServerBinlog>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await server.OpenAsync(cancellationToken);
        await using var command = new MySqlCommand("SHOW BINARY LOGS", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var logs = new List<ServerBinlog>();
        while (await reader.ReadAsync(cancellationToken))
        {
            logs.Add(new(reader.GetString(0), Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture)));
        }
        return logs;
    }

    /// <summary>MariaDB's GTID position at a binary-log position (BINLOG_GTID_POS), null when it has none or cannot say.</summary>
    public async Task<string?> GtidAtAsync(string file, long position, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await server.OpenAsync(cancellationToken);
            await using var command = new MySqlCommand("SELECT BINLOG_GTID_POS(@file, @position)", connection);
            command.Parameters.AddWithValue("@file", file);
            command.Parameters.AddWithValue("@position", position);
            return await command.ExecuteScalarAsync(cancellationToken) is string gtid && gtid.Length > 0 ? gtid : null;
        }
        catch (MySqlException)
        {
            return null;
        }
    }
}
