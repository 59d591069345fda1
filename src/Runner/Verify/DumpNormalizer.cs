using System.Security.Cryptography;
using System.Text;

namespace Serverless.Backup.Runner.Verify;

/// <summary>One object's part of a dump: its label (such as table `orders` data) and the SHA-256 of its kept lines.</summary>
public sealed record DumpSection(string Label, string Sha256);

/// <summary>
/// Hashes a mysqldump stream as it passes, line by line, leaving out the few comment lines that name the database
/// or the server, or that vary per dump (see docs/runner.md, "What a verify proves"). It also splits the stream
/// at mysqldump's section comments and hashes each section, so two dumps that differ can be told apart by the first
/// object they differ in. Only comment lines are held (up to <see cref="MaxHeldLine"/> bytes); everything else is
/// hashed as it arrives, so memory stays small whatever the size of the dump.
/// </summary>
public sealed class DumpNormalizer : IDisposable
{
    private const int MaxHeldLine = 64 * 1024;

    /// <summary>Comment lines left out: each names the database or the server, or carries the dump's date.</summary>
    public static readonly IReadOnlyList<string> LeftOutPrefixes =
    [
        "-- MariaDB dump ",
        "-- MySQL dump ",
        "-- Host: ",
        "-- Server version",
        "-- Dumping events for database '",
        "-- Dumping routines for database '",
        "-- Dump completed on ",
    ];

    private static readonly (string Marker, string Kind)[] SectionMarkers =
    [
        ("-- Table structure for table ", "structure of table "),
        ("-- Dumping data for table ", "data of table "),
        ("-- Temporary table structure for view ", "temporary structure of view "),
        ("-- Temporary view structure for view ", "temporary structure of view "),
        ("-- Final view structure for view ", "view "),
        ("-- Dumping events for database ", "events"),
        ("-- Dumping routines for database ", "routines"),
    ];

    private readonly IncrementalHash _whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash _section = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly List<DumpSection> _sections = [];
    private readonly MemoryStream _held = new();
    private string _label = "header";
    private bool _atLineStart = true;
    private bool _holding;
    private string? _sha256;

    public long Bytes { get; private set; }

    /// <summary>The last line seen, when it was a comment (the completion trailer of a whole dump).</summary>
    public string? LastCommentLine { get; private set; }

    public bool EndsWithCompletionTrailer => LastCommentLine?.StartsWith(Database.MySqlTools.CompletionTrailer, StringComparison.Ordinal) == true;

    /// <summary>Reads the stream to its end.</summary>
    public async Task ConsumeAsync(Stream source, CancellationToken cancellationToken)
    {
        var buffer = new byte[128 * 1024];
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            Append(buffer.AsSpan(0, read));
        }
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        Bytes += data.Length;
        while (data.Length > 0)
        {
            if (_atLineStart)
            {
                // Only lines that begin with '-' can be a comment this class looks at.
                _holding = data[0] == (byte)'-';
                _atLineStart = false;
                // Blank lines after the trailer still end a whole dump, as the restore's own check allows.
                if (!_holding && data[0] is not ((byte)'\n' or (byte)'\r'))
                {
                    LastCommentLine = null;
                }
            }
            var end = data.IndexOf((byte)'\n');
            var part = end < 0 ? data : data[..(end + 1)];
            if (_holding)
            {
                _held.Write(part);
                if (_held.Length > MaxHeldLine)
                {
                    // Too long for a comment of mysqldump's: an ordinary line.
                    Keep(_held.GetBuffer().AsSpan(0, (int)_held.Length));
                    _held.SetLength(0);
                    _holding = false;
                    LastCommentLine = null;
                }
            }
            else
            {
                Keep(part);
            }
            if (end >= 0)
            {
                EndLine();
            }
            data = data[part.Length..];
        }
    }

    private void EndLine()
    {
        _atLineStart = true;
        if (!_holding)
        {
            return;
        }
        var line = _held.GetBuffer().AsSpan(0, (int)_held.Length);
        var text = Encoding.UTF8.GetString(line).TrimEnd('\n', '\r');
        LastCommentLine = text;
        foreach (var (marker, kind) in SectionMarkers)
        {
            if (text.StartsWith(marker, StringComparison.Ordinal))
            {
                CloseSection();
                _label = kind.EndsWith(' ') ? kind + text[marker.Length..] : kind;
                break;
            }
        }
        if (!LeftOutPrefixes.Any(p => text.StartsWith(p, StringComparison.Ordinal)))
        {
            Keep(line);
        }
        _held.SetLength(0);
        _holding = false;
    }

    private void Keep(ReadOnlySpan<byte> bytes)
    {
        _whole.AppendData(bytes);
        _section.AppendData(bytes);
    }

    private void CloseSection() => _sections.Add(new DumpSection(_label, Convert.ToHexStringLower(_section.GetHashAndReset())));

    /// <summary>Ends the stream (a last line without a newline counts) and returns the sections in dump order.</summary>
    public IReadOnlyList<DumpSection> Complete()
    {
        if (_sha256 is null)
        {
            if (!_atLineStart)
            {
                EndLine();
            }
            CloseSection();
            _sha256 = Convert.ToHexStringLower(_whole.GetHashAndReset());
        }
        return _sections;
    }

    /// <summary>SHA-256 of every kept line; call after <see cref="Complete"/>.</summary>
    public string Sha256 => _sha256 ?? throw new InvalidOperationException("the stream is not complete");

    /// <summary>The first section where two dumps differ (by label or content), or null when they are the same.</summary>
    public static string? FirstDifference(IReadOnlyList<DumpSection> expected, IReadOnlyList<DumpSection> actual)
    {
        for (var i = 0; i < Math.Max(expected.Count, actual.Count); i++)
        {
            if (i >= expected.Count)
            {
                return $"{actual[i].Label} (only in the restored copy)";
            }
            if (i >= actual.Count)
            {
                return $"{expected[i].Label} (missing from the restored copy)";
            }
            if (expected[i] != actual[i])
            {
                return expected[i].Label == actual[i].Label ? expected[i].Label : $"{expected[i].Label} (the restored copy has {actual[i].Label} there)";
            }
        }
        return null;
    }

    public void Dispose()
    {
        _whole.Dispose();
        _section.Dispose();
        _held.Dispose();
    }
}
