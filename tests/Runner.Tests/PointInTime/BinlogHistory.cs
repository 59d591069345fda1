using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using CliWrap;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Runner.Database;
using Serverless.Backup.Runner.PointInTime;
using Serverless.Backup.Runner.Restic;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Runner.Tests.PointInTime;

/// <summary>
/// Writes what the backup verb (with BINLOG_RECORD_POSITION) and the archive verb write into a local repository,
/// with the plain tools, so the point-in-time restore can be tested on its own: a dump taken with
/// <c>mariadb-dump --master-data=2 --gtid --single-transaction</c> stored with <c>restic backup --stdin</c>, tagged as
/// a backup's snapshot plus <see cref="BinlogCatalog.TagsOf(BinlogPosition)"/>; and each closed binary log of the
/// server (FLUSH BINARY LOGS first) read from its data folder and stored as <c>/binlog/&lt;file&gt;</c>, tagged
/// <see cref="BinlogCatalog.TagsOf(ArchivedBinlog, string, string, string)"/>. Only this class knows how the history
/// is made: once the runner's own verbs exist, it can run them instead.
/// </summary>
public sealed partial class BinlogHistory(MariaDbServer server, string repository, string @namespace, string configuration)
{
    private readonly HashSet<string> _archived = new(StringComparer.Ordinal);

    public string Repository => repository;
    public string Namespace => @namespace;
    public string Configuration => configuration;

    /// <summary>Dumps one database with its binary-log position (or without, as a backup without BINLOG_RECORD_POSITION) and stores it.</summary>
    public async Task<(string SnapshotId, BinlogPosition? Position, long Bytes)> BackUpAsync(string session, string database, bool withPosition = true)
    {
        using var dump = new MemoryStream();
        var errors = new StringBuilder();
        string[] position = withPosition ? ["--master-data=2", "--gtid"] : [];
        var result = await Cli.Wrap("mariadb-dump")
            .WithArguments([$"--socket={server.Socket}", "--user=root", .. MySqlTools.SafeDumpOptions, .. position, "--", database])
            .WithStandardOutputPipe(PipeTarget.ToStream(dump))
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(errors))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync();
        Assert.True(result.ExitCode == 0, $"mariadb-dump {database}: {errors}");
        var text = Encoding.UTF8.GetString(dump.ToArray());

        var tags = new List<string>(ResticTags.OfRun(new SessionSettings { Namespace = @namespace, Name = session, Configuration = configuration }, database));
        var schema = await server.QueryAsync($"SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{MariaDbServer.Escape(database)}'");
        tags.Add(ResticTags.Of(ResticTags.CharacterSet, schema[0][0]!));
        tags.Add(ResticTags.Of(ResticTags.Collation, schema[0][1]!));
        BinlogPosition? recorded = null;
        if (withPosition)
        {
            var change = ChangeMaster().Match(text);
            Assert.True(change.Success, "the dump has no CHANGE MASTER comment: " + text[..Math.Min(2000, text.Length)]);
            var gtid = GtidPosition().Match(text);
            recorded = new BinlogPosition(change.Groups[1].Value, long.Parse(change.Groups[2].Value), await ServerIdAsync(), gtid.Success ? gtid.Groups[1].Value : null);
            tags.AddRange(BinlogCatalog.TagsOf(recorded));
        }
        var id = await StoreAsync(dump.ToArray(), ResticTags.FileName(database), tags);
        return (id, recorded, dump.Length);
    }

    /// <summary>
    /// Closes the current binary log (FLUSH BINARY LOGS) and stores every closed log not stored yet, except those
    /// <paramref name="leaveOut"/> names (they stay missing: a gap, as if purged before an archive run).
    /// </summary>
    public async Task<IReadOnlyList<ArchivedBinlog>> ArchiveAsync(string session, Func<string, bool>? leaveOut = null)
    {
        await server.ExecuteAsync("FLUSH BINARY LOGS");
        var files = (await server.QueryAsync("SHOW BINARY LOGS")).Select(r => r[0]!).ToList();
        var stored = new List<ArchivedBinlog>();
        foreach (var file in files.Take(files.Count - 1).Where(f => !_archived.Contains(f)))
        {
            _archived.Add(file);
            if (leaveOut?.Invoke(file) == true)
            {
                continue;
            }
            var bytes = await File.ReadAllBytesAsync(Path.Combine(server.DataFolder, file));
            var log = Describe(file, bytes);
            var id = await StoreAsync(bytes, $"{BinlogCatalog.Folder}/{ResticTags.Encode(file)}", BinlogCatalog.TagsOf(log, session, @namespace, configuration));
            stored.Add(log with { SnapshotId = id });
        }
        return stored;
    }

    /// <summary>A binary log's first and last event times and server id, from the events' headers (v4 format).</summary>
    public static ArchivedBinlog Describe(string file, byte[] bytes)
    {
        Assert.True(bytes.Length > 4 && bytes[0] == 0xfe && bytes[1] == (byte)'b' && bytes[2] == (byte)'i' && bytes[3] == (byte)'n', $"{file} is not a binary log");
        long? first = null, last = null, serverId = null;
        for (var offset = 4; offset + 19 <= bytes.Length;)
        {
            var header = bytes.AsSpan(offset, 19);
            var timestamp = BinaryPrimitives.ReadUInt32LittleEndian(header);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(header[9..]);
            if (length < 19)
            {
                break;
            }
            first ??= timestamp;
            last = Math.Max(last ?? 0, timestamp);
            serverId ??= BinaryPrimitives.ReadUInt32LittleEndian(header[5..]);
            offset += (int)length;
        }
        return new ArchivedBinlog(file, DateTimeOffset.FromUnixTimeSeconds(first!.Value), DateTimeOffset.FromUnixTimeSeconds(last!.Value), bytes.Length, serverId!.Value);
    }

    private async Task<long> ServerIdAsync() => long.Parse((await server.QueryAsync("SELECT @@server_id"))[0][0]!);

    private async Task<string> StoreAsync(byte[] content, string fileName, IEnumerable<string> tags)
    {
        var output = new StringBuilder();
        var errors = new StringBuilder();
        var result = await Cli.Wrap("restic")
            .WithArguments(["backup", "--stdin", "--stdin-filename", fileName, "--host", $"{@namespace}.{configuration}", "--json",
                .. tags.SelectMany(t => new[] { "--tag", t })])
            .WithEnvironmentVariables(new Dictionary<string, string?>
            {
                ["RESTIC_REPOSITORY"] = repository, ["RESTIC_PASSWORD"] = RunnerFixture.RepositoryPassword,
                ["RESTIC_CACHE_DIR"] = Path.Combine(repository + "-cache"), ["TZ"] = "UTC",
            })
            .WithStandardInputPipe(PipeSource.FromBytes(content))
            .WithStandardOutputPipe(PipeTarget.ToStringBuilder(output))
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(errors))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync();
        Assert.True(result.ExitCode == 0, $"restic backup {fileName}: {errors}");
        var summary = SnapshotId().Match(output.ToString());
        Assert.True(summary.Success, output.ToString());
        return summary.Groups[1].Value;
    }

    /// <summary>Makes a new local repository (restic init).</summary>
    public static async Task<string> NewRepositoryAsync()
    {
        var path = Path.Combine(TestEnvironment.TempFolder("pitr-repo"), "repo");
        var output = new StringBuilder();
        var result = await Cli.Wrap("restic").WithArguments(["init"])
            .WithEnvironmentVariables(new Dictionary<string, string?> { ["RESTIC_REPOSITORY"] = path, ["RESTIC_PASSWORD"] = RunnerFixture.RepositoryPassword })
            .WithStandardOutputPipe(PipeTarget.ToStringBuilder(output))
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(output))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync();
        Assert.True(result.ExitCode == 0, "restic init: " + output);
        return path;
    }

    [GeneratedRegex(@"^-- CHANGE MASTER TO MASTER_LOG_FILE='([^']+)', MASTER_LOG_POS=(\d+);", RegexOptions.Multiline)]
    private static partial Regex ChangeMaster();

    [GeneratedRegex(@"^-- SET GLOBAL gtid_slave_pos='([^']*)';", RegexOptions.Multiline)]
    private static partial Regex GtidPosition();

    [GeneratedRegex(@"""snapshot_id"":""([0-9a-f]{8,64})""")]
    private static partial Regex SnapshotId();
}
