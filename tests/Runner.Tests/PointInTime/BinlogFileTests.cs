using System.Buffers.Binary;
using Serverless.Backup.Runner.PointInTime;

namespace Serverless.Backup.Runner.Tests.PointInTime;

/// <summary>The event-header reader against hand-made files, whole and hostile.</summary>
public sealed class BinlogFileTests
{
    private static readonly byte[] Magic = [0xFE, (byte)'b', (byte)'i', (byte)'n'];

    /// <summary>A file of events (timestamp, type, body length); next positions as a server writes them.</summary>
    private static byte[] Log(params (uint Time, byte Type, int Body)[] events)
    {
        var bytes = new List<byte>(Magic);
        foreach (var (time, type, body) in events)
        {
            var header = new byte[BinlogFile.HeaderSize];
            var size = (uint)(BinlogFile.HeaderSize + body);
            BinaryPrimitives.WriteUInt32LittleEndian(header, time);
            header[4] = type;
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(5), 7);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(9), size);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(13), (uint)(bytes.Count + size));
            bytes.AddRange(header);
            bytes.AddRange(new byte[body]);
        }
        return bytes.ToArray();
    }

    private static BinlogFileSummary Read(byte[] bytes) => BinlogFile.Read(new MemoryStream(bytes), "mysql-bin.000001");

    [Fact]
    public void A_whole_log_gives_its_first_and_last_event_times_its_size_and_whether_it_was_closed()
    {
        var bytes = Log((1000, 15, 100), (0, 4, 10), (1001, 2, 50), (1005, 4, 20));

        var summary = Read(bytes);

        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1000), summary.FirstEvent);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1005), summary.LastEvent);
        Assert.Equal(bytes.Length, summary.Size);
        Assert.Equal(4, summary.Events);
        Assert.Equal(7, summary.ServerId);
        Assert.True(summary.Closed);
        Assert.False(Read(Log((1000, 15, 100), (1001, 2, 50))).Closed);
    }

    [Fact]
    public void A_log_cut_anywhere_inside_an_event_is_refused()
    {
        var bytes = Log((1000, 15, 100), (1001, 2, 50), (1005, 4, 20));
        for (var length = 5; length < bytes.Length; length++)
        {
            var cut = bytes[..length];
            // A cut at an event's end is a whole file of fewer events (the server's listed size tells those apart).
            if (length is 4 + 119 or 4 + 119 + 69)
            {
                Assert.Equal(length, Read(cut).Size);
                continue;
            }
            var e = Assert.Throws<BinlogFormatException>(() => Read(cut));
            Assert.Contains("mysql-bin.000001", e.Message);
        }
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0xFE, (byte)'b', (byte)'i' })]
    [InlineData(new byte[] { 0xFE, (byte)'b', (byte)'i', (byte)'x', 0, 0 })]
    [InlineData(new byte[] { (byte)'-', (byte)'-', (byte)' ', (byte)'M' })]
    public void Anything_without_the_magic_bytes_is_not_a_binary_log(byte[] bytes)
    {
        var e = Assert.Throws<BinlogFormatException>(() => Read(bytes));
        Assert.Contains("not a binary log", e.Message);
    }

    [Fact]
    public void Magic_bytes_alone_hold_no_event()
    {
        Assert.Throws<BinlogFormatException>(() => Read(Magic));
    }

    [Fact]
    public void An_event_size_past_the_end_or_smaller_than_a_header_or_a_wrong_next_position_is_refused()
    {
        var past = Log((1000, 15, 100), (1001, 2, 50));
        BinaryPrimitives.WriteUInt32LittleEndian(past.AsSpan(4 + 119 + 9), uint.MaxValue);
        Assert.Contains("remain", Assert.Throws<BinlogFormatException>(() => Read(past)).Message);

        var small = Log((1000, 15, 100), (1001, 2, 50));
        BinaryPrimitives.WriteUInt32LittleEndian(small.AsSpan(4 + 119 + 9), 3);
        Assert.Contains("less than its own header", Assert.Throws<BinlogFormatException>(() => Read(small)).Message);

        var zero = Log((1000, 15, 100), (1001, 2, 50));
        BinaryPrimitives.WriteUInt32LittleEndian(zero.AsSpan(4 + 119 + 9), 0);
        Assert.Throws<BinlogFormatException>(() => Read(zero));

        var next = Log((1000, 15, 100), (1001, 2, 50));
        BinaryPrimitives.WriteUInt32LittleEndian(next.AsSpan(4 + 119 + 13), 5);
        Assert.Contains("next one starts", Assert.Throws<BinlogFormatException>(() => Read(next)).Message);
    }

    [Fact]
    public void A_log_that_does_not_start_with_a_format_description_is_refused()
    {
        Assert.Contains("format description", Assert.Throws<BinlogFormatException>(() => Read(Log((1000, 2, 10)))).Message);
    }

    [Fact]
    public void Events_without_a_time_say_nothing_of_the_span_and_a_log_of_only_those_is_refused()
    {
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1003), Read(Log((0, 15, 10), (1003, 2, 5), (0, 4, 5))).FirstEvent);
        Assert.Throws<BinlogFormatException>(() => Read(Log((0, 15, 10), (0, 4, 5))));
    }

    [Fact]
    public void A_huge_declared_event_is_not_read_into_memory()
    {
        // A header that claims 4 GiB in a file of a few bytes: refused from the header alone.
        var bytes = Log((1000, 15, 10));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4 + 9), 0xFFFFFFF0);
        Assert.Throws<BinlogFormatException>(() => Read(bytes));
    }
}
