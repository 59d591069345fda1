using System.Buffers.Binary;

namespace Serverless.Backup.Runner.PointInTime;

/// <summary>What the event headers of a binary-log file say: the times of its first and last event, and that it is whole.</summary>
public sealed record BinlogFileSummary(
    DateTimeOffset FirstEvent, DateTimeOffset LastEvent, long Size, int Events, long ServerId, byte LastEventType)
{
    /// <summary>The log ends with a ROTATE_EVENT (the server moved on to the next file) or a STOP_EVENT (it shut down).</summary>
    public bool Closed => LastEventType is BinlogFile.RotateEvent or BinlogFile.StopEvent;
}

/// <summary>A binary-log file that is not one, or not whole: the message says where and why.</summary>
public sealed class BinlogFormatException(string message) : Exception(message);

/// <summary>
/// Reads the event headers of a binary-log file (format version 4, MySQL 5.0 and later, every MariaDB): the magic
/// bytes 0xFE 'b' 'i' 'n', then events, each with a 19-byte header: timestamp (u32, Unix seconds), type (u8), server
/// id (u32), event size (u32, header included), position of the next event (u32) and flags (u16), little-endian.
/// Only the headers are read (the reader skips each event's body), so a file of any size costs a few reads per
/// event. The file is whole when its events end exactly at its end; anything else (a cut event, a size that points
/// past the end or is shorter than a header, a next position that disagrees with the event's end) is refused.
/// </summary>
public static class BinlogFile
{
    public const int HeaderSize = 19;
    public const byte StopEvent = 3;
    public const byte RotateEvent = 4;
    public const byte FormatDescriptionEvent = 15;
    private static readonly byte[] Magic = [0xFE, (byte)'b', (byte)'i', (byte)'n'];

    public static BinlogFileSummary Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.SequentialScan);
        return Read(stream, Path.GetFileName(path));
    }

    /// <summary>Reads a seekable stream of a whole binary-log file; <paramref name="name"/> names it in messages.</summary>
    public static BinlogFileSummary Read(Stream stream, string name)
    {
        var length = stream.Length;
        Span<byte> header = stackalloc byte[HeaderSize];
        if (length < Magic.Length || !ReadExactly(stream, header[..Magic.Length]) || !header[..Magic.Length].SequenceEqual(Magic))
        {
            throw new BinlogFormatException($"{name} is not a binary log: it does not start with the bytes FE 62 69 6E ({length} bytes)");
        }
        long offset = Magic.Length;
        var events = 0;
        uint? first = null;
        uint last = 0;
        long serverId = 0;
        byte lastType = 0;
        while (offset < length)
        {
            if (length - offset < HeaderSize)
            {
                throw new BinlogFormatException($"{name} is cut: {length - offset} bytes at offset {offset} are less than an event header ({HeaderSize} bytes)");
            }
            stream.Position = offset;
            if (!ReadExactly(stream, header))
            {
                throw new BinlogFormatException($"{name} is cut at offset {offset}");
            }
            var timestamp = BinaryPrimitives.ReadUInt32LittleEndian(header);
            var type = header[4];
            var server = BinaryPrimitives.ReadUInt32LittleEndian(header[5..]);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(header[9..]);
            var next = BinaryPrimitives.ReadUInt32LittleEndian(header[13..]);
            if (size < HeaderSize)
            {
                throw new BinlogFormatException($"{name} is damaged: the event at offset {offset} says it has {size} bytes, less than its own header");
            }
            if (size > length - offset)
            {
                throw new BinlogFormatException($"{name} is cut: the event at offset {offset} has {size} bytes but only {length - offset} remain");
            }
            var end = offset + size;
            // The next position is the event's end in the file (0 in events a server generates on the fly; a log
            // past 4 GiB wraps it).
            if (next != 0 && next != (uint)end)
            {
                throw new BinlogFormatException($"{name} is damaged: the event at offset {offset} ends at {end} but says the next one starts at {next}");
            }
            if (events == 0 && type != FormatDescriptionEvent)
            {
                throw new BinlogFormatException($"{name} is not a binary log of format 4: its first event has type {type}, not a format description (15)");
            }
            // A timestamp of 0 marks an event the server made up (no time of its own): it says nothing of the log's span.
            if (timestamp != 0)
            {
                first ??= timestamp;
                last = Math.Max(last, timestamp);
            }
            if (events == 0)
            {
                // The format description is written by the server that writes the file (later events of a replica
                // carry their origin's id).
                serverId = server;
            }
            lastType = type;
            events++;
            offset = end;
        }
        if (events == 0 || first is null)
        {
            throw new BinlogFormatException($"{name} holds no event with a time ({length} bytes)");
        }
        return new BinlogFileSummary(
            DateTimeOffset.FromUnixTimeSeconds(first.Value), DateTimeOffset.FromUnixTimeSeconds(last), length, events, serverId, lastType);
    }

    private static bool ReadExactly(Stream stream, Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = stream.Read(buffer[total..]);
            if (read == 0)
            {
                return false;
            }
            total += read;
        }
        return true;
    }
}
