using System.Globalization;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Restic;

namespace Serverless.Backup.Runner.PointInTime;

/// <summary>
/// How point-in-time recovery is written into the repository, in restic tags (no other record exists):
/// <list type="bullet">
/// <item>A full dump taken with BINLOG_RECORD_POSITION carries <c>binlog-file=</c>, <c>binlog-pos=</c>,
/// <c>server-id=</c> and, where the server has one, <c>gtid=</c> (encoded as database names are, see
/// <see cref="ResticTags"/>): where the dump stands in the server's binary log, so replay starts exactly after it.</item>
/// <item>An archived binary log is a snapshot of its own, stored as <c>/binlog/&lt;file&gt;</c>, tagged
/// <c>kind=binlog</c>, <c>binlog=&lt;file&gt;</c>, <c>binlog-first=</c> and <c>binlog-last=</c> (Unix seconds of its
/// first and last event), <c>binlog-size=</c> (bytes), <c>server-id=</c>, and the usual session, namespace and
/// config tags (no db tag: it holds every database's changes).</item>
/// </list>
/// Only confirmed snapshots count (see PendingSnapshots): an archive run killed while storing a log leaves it
/// unconfirmed, and the next run stores it again.
/// </summary>
public static class BinlogCatalog
{
    public const string Kind = "kind";
    public const string KindBinlog = "binlog";
    public const string File = "binlog";
    public const string FirstEvent = "binlog-first";
    public const string LastEvent = "binlog-last";
    public const string Size = "binlog-size";
    public const string ServerId = "server-id";
    public const string DumpFile = "binlog-file";
    public const string DumpPosition = "binlog-pos";
    public const string Gtid = "gtid";
    /// <summary>The folder restic stores archived logs under (--stdin-filename binlog/&lt;file&gt;).</summary>
    public const string Folder = "binlog";

    public static bool IsBinlog(ResticSnapshot snapshot) => snapshot.Tag(Kind) == KindBinlog;

    /// <summary>The tags of an archived log (with the run's session, namespace and config tags).</summary>
    public static IReadOnlyList<string> TagsOf(ArchivedBinlog log, string session, string @namespace, string configuration) =>
    [
        ResticTags.Of(ResticTags.Session, session),
        ResticTags.Of(ResticTags.Namespace, @namespace),
        ResticTags.Of(ResticTags.Configuration, configuration),
        ResticTags.Of(Kind, KindBinlog),
        ResticTags.Of(File, ResticTags.Encode(log.File)),
        ResticTags.Of(FirstEvent, log.FirstEvent.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
        ResticTags.Of(LastEvent, log.LastEvent.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
        ResticTags.Of(Size, log.Size.ToString(CultureInfo.InvariantCulture)),
        ResticTags.Of(ServerId, log.ServerId.ToString(CultureInfo.InvariantCulture)),
    ];

    /// <summary>The tags a dump adds for its position.</summary>
    public static IReadOnlyList<string> TagsOf(BinlogPosition position)
    {
        var tags = new List<string>
        {
            ResticTags.Of(DumpFile, ResticTags.Encode(position.File)),
            ResticTags.Of(DumpPosition, position.Position.ToString(CultureInfo.InvariantCulture)),
            ResticTags.Of(ServerId, position.ServerId.ToString(CultureInfo.InvariantCulture)),
        };
        if (!string.IsNullOrEmpty(position.Gtid))
        {
            tags.Add(ResticTags.Of(Gtid, ResticTags.Encode(position.Gtid)));
        }
        return tags;
    }

    /// <summary>The path restic stores an archived log under (for restic dump).</summary>
    public static string PathOf(string file) => $"/{Folder}/{ResticTags.Encode(file)}";

    /// <summary>An archived log of a snapshot, or null when the snapshot is not one (or its tags are damaged).</summary>
    public static ArchivedBinlog? ArchivedOf(ResticSnapshot snapshot)
    {
        if (!IsBinlog(snapshot) || snapshot.Tag(File) is not { } file
            || !long.TryParse(snapshot.Tag(FirstEvent), NumberStyles.None, CultureInfo.InvariantCulture, out var first)
            || !long.TryParse(snapshot.Tag(LastEvent), NumberStyles.None, CultureInfo.InvariantCulture, out var last)
            || !long.TryParse(snapshot.Tag(Size), NumberStyles.None, CultureInfo.InvariantCulture, out var size)
            || !long.TryParse(snapshot.Tag(ServerId), NumberStyles.None, CultureInfo.InvariantCulture, out var server)
            || BinlogFileName.Parse(ResticTags.Decode(file)) is null)
        {
            return null;
        }
        return new ArchivedBinlog(ResticTags.Decode(file), DateTimeOffset.FromUnixTimeSeconds(first), DateTimeOffset.FromUnixTimeSeconds(last), size, server)
        {
            SnapshotId = snapshot.Id,
        };
    }

    /// <summary>The position a dump's snapshot recorded, or null when it has none (taken without BINLOG_RECORD_POSITION).</summary>
    public static BinlogPosition? PositionOf(ResticSnapshot snapshot)
    {
        if (IsBinlog(snapshot) || snapshot.Tag(DumpFile) is not { } file
            || !long.TryParse(snapshot.Tag(DumpPosition), NumberStyles.None, CultureInfo.InvariantCulture, out var position)
            || !long.TryParse(snapshot.Tag(ServerId), NumberStyles.None, CultureInfo.InvariantCulture, out var server)
            || BinlogFileName.Parse(ResticTags.Decode(file)) is null)
        {
            return null;
        }
        return new BinlogPosition(ResticTags.Decode(file), position, server, snapshot.Tag(Gtid) is { } gtid ? ResticTags.Decode(gtid) : null);
    }
}

/// <summary>Where a dump stands in the binary log: replay starts at <see cref="Position"/> of <see cref="File"/>.</summary>
public sealed record BinlogPosition(string File, long Position, long ServerId, string? Gtid);

/// <summary>One archived binary-log file: its name, the times of its first and last event, its size and the server that wrote it.</summary>
public sealed record ArchivedBinlog(string File, DateTimeOffset FirstEvent, DateTimeOffset LastEvent, long Size, long ServerId)
{
    /// <summary>The snapshot it is stored in (empty before it is stored).</summary>
    public string SnapshotId { get; init; } = "";
}

/// <summary>A binary-log file name: a base name and a sequence number (mysql-bin.000042: mysql-bin, 42).</summary>
public sealed record BinlogFileName(string BaseName, long Sequence)
{
    /// <summary>The base and number of a file such as mysql-bin.000042; null when it has no numeric extension or holds a path separator.</summary>
    public static BinlogFileName? Parse(string file)
    {
        var dot = file.LastIndexOf('.');
        if (dot <= 0 || dot == file.Length - 1 || file.Contains('/') || file.Contains('\\') || file.Contains('\0'))
        {
            return null;
        }
        var number = file[(dot + 1)..];
        return number.All(char.IsAsciiDigit) && number.Length <= 18 && long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            ? new BinlogFileName(file[..dot], sequence)
            : null;
    }
}

/// <summary>A full dump of one database with its recorded position.</summary>
public sealed record PositionedDump(string Database, string SnapshotId, DateTimeOffset Time, BinlogPosition Position);

/// <summary>
/// What can be restored to which second. A dump of a database can be restored to its own time and, through the
/// archived logs from its position on (the same server id and base name, sequence numbers without a hole), to the
/// last event of the last of them. A time is recoverable for a configuration when every database that has a dump
/// with a position is recoverable at it; gaps are holes in the sequence of archived logs (from the oldest file a
/// dump needs) and split the windows.
/// </summary>
public static class RecoveryWindows
{
    /// <summary>The window(s) and gaps of a set of dumps and archived logs.</summary>
    public static PointInTimeReport Compute(IReadOnlyList<PositionedDump> dumps, IReadOnlyList<ArchivedBinlog> logs)
    {
        var gaps = GapsOf(dumps, logs);
        var perDatabase = dumps.GroupBy(d => d.Database, StringComparer.Ordinal)
            .Select(g => Merge(g.Select(d => WindowOf(d, logs)).ToList()))
            .ToList();
        var windows = perDatabase.Count == 0 ? [] : perDatabase.Aggregate(Intersect);
        var last = logs.OrderBy(l => BinlogFileName.Parse(l.File)!.Sequence).ThenBy(l => l.LastEvent).LastOrDefault();
        return new PointInTimeReport
        {
            Earliest = windows.Count > 0 ? windows[0].Start : null,
            Latest = windows.Count > 0 ? windows[^1].End : null,
            LastArchivedFile = last?.File,
            Windows = windows,
            Gaps = gaps,
        };
    }

    /// <summary>The newest dump of <paramref name="database"/> from which <paramref name="time"/> can be reached, with the logs to replay (in order), or null.</summary>
    public static (PositionedDump Dump, IReadOnlyList<ArchivedBinlog> Logs)? PlanFor(
        string database, DateTimeOffset time, IReadOnlyList<PositionedDump> dumps, IReadOnlyList<ArchivedBinlog> logs)
    {
        // Times are whole seconds (a restore to a second includes its events): a dump counts from the second it was taken in.
        foreach (var dump in dumps.Where(d => d.Database == database && Second(d.Time) <= time).OrderByDescending(d => d.Time))
        {
            var chain = ChainOf(dump, logs);
            if (time <= EndOf(dump, chain))
            {
                // Only the logs up to the first whose first event is past the time are needed.
                var needed = chain.TakeWhile((l, i) => i == 0 || chain[i - 1].LastEvent <= time || l.FirstEvent <= time).ToList();
                return (dump, needed);
            }
        }
        return null;
    }

    /// <summary>The archived logs a dump replays from: its own file, then each next sequence number, while they exist.</summary>
    public static IReadOnlyList<ArchivedBinlog> ChainOf(PositionedDump dump, IReadOnlyList<ArchivedBinlog> logs)
    {
        var start = BinlogFileName.Parse(dump.Position.File)!;
        var bySequence = logs
            .Where(l => l.ServerId == dump.Position.ServerId && BinlogFileName.Parse(l.File)!.BaseName == start.BaseName)
            .GroupBy(l => BinlogFileName.Parse(l.File)!.Sequence)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(l => l.Size).First());
        var chain = new List<ArchivedBinlog>();
        // The dump's own file was being written when the dump was taken: an archived log of that name that ended
        // well before it, or is shorter than the dump's position, is another log of the name (the server's logs
        // were reset, RESET MASTER) and must never be replayed onto the dump.
        if (bySequence.TryGetValue(start.Sequence, out var own)
            && (own.Size < dump.Position.Position || own.LastEvent < dump.Time - OwnFileSlack))
        {
            return chain;
        }
        for (var sequence = start.Sequence; bySequence.TryGetValue(sequence, out var log); sequence++)
        {
            chain.Add(log);
        }
        return chain;
    }

    /// <summary>
    /// How long before a dump's snapshot time its own file may have ended: restic takes the snapshot's time a
    /// little apart from the moment the dump read its position, and an archive run may close the file between.
    /// </summary>
    private static readonly TimeSpan OwnFileSlack = TimeSpan.FromMinutes(5);

    private static RecoveryWindow WindowOf(PositionedDump dump, IReadOnlyList<ArchivedBinlog> logs) =>
        new(Second(dump.Time), EndOf(dump, ChainOf(dump, logs)));

    /// <summary>
    /// The last second a dump and its chain reach: the last event of the chain's last log (the rotate event of the
    /// FLUSH that closed it), never before the dump's own second. A write later in that same second went into the
    /// next log: a restore to exactly that second includes it only once the next log is archived (docs/point-in-time.md).
    /// </summary>
    private static DateTimeOffset EndOf(PositionedDump dump, IReadOnlyList<ArchivedBinlog> chain) =>
        Max(Second(dump.Time), chain.Count > 0 ? Second(chain[^1].LastEvent) : Second(dump.Time));

    /// <summary>A time cut to its second (restic's snapshot times have fractions; binary-log events have none).</summary>
    private static DateTimeOffset Second(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    /// <summary>Overlapping or touching windows (within a second) as one, oldest first.</summary>
    private static List<RecoveryWindow> Merge(List<RecoveryWindow> windows)
    {
        var merged = new List<RecoveryWindow>();
        foreach (var w in windows.OrderBy(w => w.Start))
        {
            if (merged.Count > 0 && w.Start <= merged[^1].End.AddSeconds(1))
            {
                merged[^1] = merged[^1] with { End = Max(merged[^1].End, w.End) };
            }
            else
            {
                merged.Add(w);
            }
        }
        return merged;
    }

    private static List<RecoveryWindow> Intersect(List<RecoveryWindow> a, List<RecoveryWindow> b)
    {
        var result = new List<RecoveryWindow>();
        foreach (var x in a)
        {
            foreach (var y in b)
            {
                var start = Max(x.Start, y.Start);
                var end = x.End < y.End ? x.End : y.End;
                if (start <= end)
                {
                    result.Add(new RecoveryWindow(start, end));
                }
            }
        }
        return result.OrderBy(w => w.Start).ToList();
    }

    /// <summary>Holes in the sequence of archived logs of each server and base name, from the oldest file a dump needs.</summary>
    private static List<BinlogGap> GapsOf(IReadOnlyList<PositionedDump> dumps, IReadOnlyList<ArchivedBinlog> logs)
    {
        var gaps = new List<BinlogGap>();
        var series = logs.GroupBy(l => (l.ServerId, BinlogFileName.Parse(l.File)!.BaseName));
        foreach (var group in series)
        {
            var ordered = group.GroupBy(l => BinlogFileName.Parse(l.File)!.Sequence).OrderBy(g => g.Key).Select(g => g.First()).ToList();
            var ofSeries = dumps.Where(d => d.Position.ServerId == group.Key.ServerId && BinlogFileName.Parse(d.Position.File)!.BaseName == group.Key.BaseName).ToList();
            var needed = ofSeries.Select(d => (long?)BinlogFileName.Parse(d.Position.File)!.Sequence).Min();
            var width = ordered[0].File.Length - ordered[0].File.LastIndexOf('.') - 1;
            string Name(long sequence) => $"{group.Key.BaseName}.{sequence.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0')}";
            var firstSequence = BinlogFileName.Parse(ordered[0].File)!.Sequence;
            if (needed is { } oldest && oldest < firstSequence)
            {
                // The dump of this series (server and base name) that needs the oldest file.
                var dumpTime = ofSeries.Where(d => BinlogFileName.Parse(d.Position.File)!.Sequence == oldest).Min(d => d.Time);
                gaps.Add(new BinlogGap
                {
                    FirstMissingFile = Name(oldest),
                    LastMissingFile = Name(firstSequence - 1),
                    From = dumpTime,
                    To = ordered[0].FirstEvent,
                    Message = $"binary logs {Name(oldest)} to {Name(firstSequence - 1)} were not archived (purged from the server before an archive run, or lost): the dump of {dumpTime:u} cannot be rolled forward",
                });
            }
            for (var i = 1; i < ordered.Count; i++)
            {
                var previous = BinlogFileName.Parse(ordered[i - 1].File)!.Sequence;
                var current = BinlogFileName.Parse(ordered[i].File)!.Sequence;
                if (current > previous + 1)
                {
                    gaps.Add(new BinlogGap
                    {
                        FirstMissingFile = Name(previous + 1),
                        LastMissingFile = Name(current - 1),
                        From = ordered[i - 1].LastEvent,
                        To = ordered[i].FirstEvent,
                        Message = $"binary logs {Name(previous + 1)} to {Name(current - 1)} are missing from the repository (purged from the server before an archive run, or lost): nothing between {ordered[i - 1].LastEvent:u} and {ordered[i].FirstEvent:u} can be restored to until the next full backup",
                    });
                }
            }
        }
        return gaps.OrderBy(g => g.From ?? DateTimeOffset.MinValue).ToList();
    }
}
