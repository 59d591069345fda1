using System.Text;
using Serverless.Backup.Runner.PointInTime;

namespace Serverless.Backup.Runner.Tests.PointInTime;

/// <summary>The lines that give replayed transactions their original GTIDs are left out, and nothing else.</summary>
public sealed class BinlogReplayFilterTests
{
    private const string Output = """
        /*!50530 SET @@SESSION.PSEUDO_SLAVE_MODE=1*/;
        # at 385
        #261129 12:26:03 server id 1  end_log_pos 427 CRC32 0xdcf9a4b1 	GTID 0-1-7 trans
        /*M!100101 SET @@session.skip_parallel_replication=0*//*!*/;
        /*M!100001 SET @@session.gtid_domain_id=0*//*!*/;
        /*M!100001 SET @@session.server_id=1*//*!*/;
        /*M!100001 SET @@session.gtid_seq_no=7*//*!*/;
        START TRANSACTION
        /*!*/;
        BINLOG '
        2xkMaxMBAAAAKgAAAAUCAAAAABIAAAAAAAEAAmNkAAF0AAEDAACCwZXp
        '/*!*/;
        INSERT INTO t VALUES ('/*M!100001 SET @@session.gtid_seq_no=9*//*!*/;')
        /*M!100001 SET @@session.gtid_seq_no=8*//*!*/; -- not alone on its line
        /*M!100001 SET @@session.gtid_seq_no=8*//*!*/;
        COMMIT/*!*/;
        """;

    private static readonly string Expected = string.Join("\n", Output.Split('\n').Where((line, i) => i is not (4 or 5 or 6 or 14)));

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(17)]
    [InlineData(4096)]
    public async Task Leaves_out_exactly_the_gtid_lines_however_the_stream_is_cut(int chunk)
    {
        using var source = new ChunkedStream(Encoding.UTF8.GetBytes(Output), chunk);
        using var destination = new MemoryStream();

        var written = await BinlogReplayFilter.CopyAsync(source, destination, CancellationToken.None);

        Assert.Equal(Expected, Encoding.UTF8.GetString(destination.ToArray()));
        Assert.Equal(destination.Length, written);
        Assert.Contains("gtid_seq_no=9", Expected);
        Assert.DoesNotContain("gtid_domain_id", Expected);
    }

    [Fact]
    public async Task A_last_line_without_a_line_end_is_kept_or_left_out_as_the_others()
    {
        foreach (var (input, expected) in new[] { ("a\n/*M!100001 SET @@session.server_id=1*//*!*/;", "a\n"), ("a\n/*M!1000", "a\n/*M!1000"), ("/", "/") })
        {
            using var source = new MemoryStream(Encoding.UTF8.GetBytes(input));
            using var destination = new MemoryStream();
            await BinlogReplayFilter.CopyAsync(source, destination, CancellationToken.None);
            Assert.Equal(expected, Encoding.UTF8.GetString(destination.ToArray()));
        }
    }

    /// <summary>Returns at most <c>chunk</c> bytes per read, as a pipe may.</summary>
    private sealed class ChunkedStream(byte[] bytes, int chunk) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);
    }
}
