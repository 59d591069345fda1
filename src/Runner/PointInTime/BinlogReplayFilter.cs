using System.Text;
using System.Text.RegularExpressions;

namespace Serverless.Backup.Runner.PointInTime;

/// <summary>
/// Copies mariadb-binlog's output to the client, leaving out the lines by which it gives each replayed transaction
/// its original GTID and server id (<c>/*M!100001 SET @@session.gtid_domain_id=0*//*!*/;</c>, <c>server_id</c>,
/// <c>gtid_seq_no</c>). A restore writes new data into the target server: its transactions get the target's own
/// GTIDs, as the dump's statements do. Kept, the old GTIDs would be written again into the target's binary log out of
/// order, which a server with gtid_strict_mode=ON refuses (ERROR 1950, tested) and which breaks its replicas; the
/// restore of a renamed copy on the source server itself would write its old GTIDs a second time. Only whole lines
/// that are exactly such a statement are left out; everything else passes byte for byte.
/// </summary>
public static partial class BinlogReplayFilter
{
    private const int BufferSize = 256 * 1024;
    /// <summary>A line that may be one to leave out starts like this; the longest such line is far shorter than the limit.</summary>
    private static readonly byte[] Start = "/*M!100001 SET @@session."u8.ToArray();
    private const int LongestCandidate = 120;

    /// <summary>True for a line (with its line end) that sets the session's GTID domain, server id or sequence number.</summary>
    public static bool IsGtidLine(ReadOnlySpan<byte> line) => GtidLine().IsMatch(Encoding.ASCII.GetString(line));

    /// <summary>Copies <paramref name="source"/> to <paramref name="destination"/> without the GTID lines; returns the bytes written.</summary>
    public static async Task<long> CopyAsync(Stream source, Stream destination, CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferSize];
        var candidate = new byte[LongestCandidate + 1];
        var candidateLength = -1; // -1: not inside a line that may be left out
        var atLineStart = true;
        long written = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            var passFrom = 0;
            for (var i = 0; i < read; i++)
            {
                var b = buffer[i];
                if (atLineStart && b == Start[0])
                {
                    await WriteAsync(buffer.AsMemory(passFrom, i - passFrom));
                    candidateLength = 0;
                }
                atLineStart = b == (byte)'\n';
                if (candidateLength < 0)
                {
                    continue;
                }
                candidate[candidateLength++] = b;
                passFrom = i + 1;
                if (b == (byte)'\n')
                {
                    if (!IsGtidLine(candidate.AsSpan(0, candidateLength)))
                    {
                        await WriteAsync(candidate.AsMemory(0, candidateLength));
                    }
                    candidateLength = -1;
                }
                else if ((candidateLength <= Start.Length && b != Start[candidateLength - 1]) || candidateLength > LongestCandidate)
                {
                    // Not one of them: pass what was held and the rest of the line.
                    await WriteAsync(candidate.AsMemory(0, candidateLength));
                    candidateLength = -1;
                }
            }
            if (candidateLength < 0)
            {
                await WriteAsync(buffer.AsMemory(passFrom, read - passFrom));
            }
        }
        if (candidateLength > 0 && !IsGtidLine(candidate.AsSpan(0, candidateLength)))
        {
            await WriteAsync(candidate.AsMemory(0, candidateLength));
        }
        await destination.FlushAsync(cancellationToken);
        return written;

        async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes)
        {
            if (bytes.Length > 0)
            {
                await destination.WriteAsync(bytes, cancellationToken);
                written += bytes.Length;
            }
        }
    }

    [GeneratedRegex(@"\A/\*M!100001 SET @@session\.(gtid_domain_id|server_id|gtid_seq_no)=[0-9]+\*//\*!\*/;\r?\n?\z")]
    private static partial Regex GtidLine();
}
