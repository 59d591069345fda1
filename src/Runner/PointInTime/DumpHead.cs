using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Serverless.Backup.Runner.PointInTime;

/// <summary>The binary-log position a dump's head states (mysqldump --master-data=2 / --source-data=2).</summary>
public sealed record DumpHeadPosition(string File, long Position, string? GtidPurged);

/// <summary>
/// Reads the head of a dump taken with --master-data=2 (MariaDB, MySQL before 8.0.26) or --source-data=2 (MySQL
/// 8.0.26 and later) up to its commented position line,
/// <c>-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000002', MASTER_LOG_POS=600;</c> (or <c>CHANGE REPLICATION
/// SOURCE TO SOURCE_LOG_FILE=…, SOURCE_LOG_POS=…</c>), with MySQL's <c>SET @@GLOBAL.GTID_PURGED=…</c> when it comes
/// first. At most <see cref="Limit"/> bytes are read: the line comes before any table.
/// MariaDB writes its GTID position at the end of the dump, so it is asked of the server (BINLOG_GTID_POS).
/// </summary>
public static partial class DumpHead
{
    public const int Limit = 1 << 20;

    [GeneratedRegex(@"^-- CHANGE (?:MASTER|REPLICATION SOURCE) TO (?:MASTER|SOURCE)_LOG_FILE='([^'\n]+)', (?:MASTER|SOURCE)_LOG_POS=(\d{1,18});", RegexOptions.Multiline)]
    private static partial Regex PositionLine();

    [GeneratedRegex(@"^SET @@GLOBAL\.GTID_PURGED=(?:/\*!80000 '\+'\*/ )?'([^']*)';", RegexOptions.Multiline)]
    private static partial Regex GtidPurgedLine();

    /// <summary>The position in the text of a head, or null while it has not come yet.</summary>
    public static DumpHeadPosition? Parse(string text)
    {
        var match = PositionLine().Match(text);
        if (!match.Success || !long.TryParse(match.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var position))
        {
            return null;
        }
        var gtid = GtidPurgedLine().Match(text[..match.Index]);
        var purged = gtid.Success ? Regex.Replace(gtid.Groups[1].Value, @"\s+", "") : null;
        return new DumpHeadPosition(match.Groups[1].Value, position, purged is { Length: > 0 } ? purged : null);
    }

    /// <summary>
    /// Reads the stream until its position line (or its end, or <see cref="Limit"/> bytes): the bytes read, and the
    /// position, null when none came.
    /// </summary>
    public static async Task<(byte[] Head, DumpHeadPosition? Position)> ReadAsync(Stream source, CancellationToken cancellationToken)
    {
        var head = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (head.Length < Limit)
        {
            var read = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, Limit - head.Length)), cancellationToken);
            if (read == 0)
            {
                break;
            }
            head.Write(buffer, 0, read);
            if (Parse(Encoding.UTF8.GetString(head.GetBuffer(), 0, (int)head.Length)) is { } position)
            {
                return (head.ToArray(), position);
            }
        }
        return (head.ToArray(), null);
    }
}
