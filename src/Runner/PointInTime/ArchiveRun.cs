using System.Text.Json;
using CliWrap;
using Microsoft.Extensions.Logging;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Database;
using Serverless.Backup.Runner.Logging;
using Serverless.Backup.Runner.Processes;
using Serverless.Backup.Runner.Restic;
using Serverless.Backup.Runner.Snapshots;

namespace Serverless.Backup.Runner.PointInTime;

/// <summary>What an archive run did: the logs it stored, and the configuration's snapshots as it leaves them.</summary>
public sealed record ArchiveOutcome(IReadOnlyList<ArchivedBinlog> Stored, IReadOnlyList<ResticSnapshot> Snapshots, IReadOnlyList<string> Warnings)
{
    public long StoredBytes => Stored.Sum(l => l.Size);
}

/// <summary>
/// The archive verb's work: FLUSH BINARY LOGS (the server closes its current log), SHOW BINARY LOGS, and every
/// closed log (all but the last, which the server writes to) that the repository does not hold yet for this
/// configuration (same server id and file name, confirmed), oldest first, up to BINLOG_MAX_FILES_PER_RUN, one at a
/// time: announced as a pending stream (<see cref="PendingSnapshots"/>), copied byte for byte with mariadb-binlog
/// --read-from-remote-server --raw into the run's temp folder, proved whole by its event headers
/// (<see cref="BinlogFile"/>) and by the size the server lists, stored with restic backup --stdin under
/// /binlog/&lt;file&gt; with the tags of <see cref="BinlogCatalog"/>, confirmed, and deleted. A run killed while
/// storing a log leaves its snapshot unconfirmed; a later run removes it and stores the log again.
/// </summary>
public sealed class ArchiveRun(
    RunnerSettings settings, MySqlServer server, MySqlTools tools, ResticClient restic, PendingSnapshots pending, string temp, ILogger log)
{
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan InterruptGrace = TimeSpan.FromSeconds(10);

    private SessionSettings Session => settings.Session;
    private string Configuration => Session.Configuration ?? "adhoc";
    public string Host => $"{Session.Namespace}.{Configuration}";

    /// <summary>The logs stored so far (for the report of a run that fails half-way).</summary>
    public List<ArchivedBinlog> Stored { get; } = [];

    public async Task<ArchiveOutcome> RunAsync(BinlogState state, CancellationToken stop)
    {
        var binlogs = new BinlogServer(server);
        await binlogs.FlushAsync(stop);
        var onServer = await binlogs.ListAsync(stop);
        var listed = await restic.SnapshotsAsync(stop);
        var confirmed = PendingSnapshots.Confirmed(listed, await pending.ListAsync(stop));
        var ours = OfConfiguration(confirmed, Session).ToList();
        var archivedLogs = ours.Select(BinlogCatalog.ArchivedOf).OfType<ArchivedBinlog>()
            .Where(l => l.ServerId == state.ServerId)
            .ToList();
        var archived = archivedLogs.Select(l => l.File).ToHashSet(StringComparer.Ordinal);

        var warnings = new List<string>();
        var closed = onServer.Count > 0 ? onServer.Take(onServer.Count - 1).ToList() : [];
        // A closed log never changes: one the server lists with another size than the archived one of that name is
        // another log (RESET MASTER, or a new server with the same server_id and base name). It is not stored over
        // the archived one; say so, since a replay would use the archived one.
        var reused = closed.Where(l => archivedLogs.Any(a => a.File == l.File) && archivedLogs.Where(a => a.File == l.File).All(a => a.Size != l.Size)).ToList();
        if (reused.Count > 0)
        {
            warnings.Add($"binary log(s) {string.Join(", ", reused.Select(l => l.File))} on the server differ in size from the archived ones of the same name and server id {state.ServerId}: the server's logs were reset (RESET MASTER) or another server uses the same server_id; they were not archived. Give the server a server_id of its own, or archive into a new configuration");
        }
        var unnamed = closed.Where(l => BinlogFileName.Parse(l.File) is null).ToList();
        if (unnamed.Count > 0)
        {
            warnings.Add($"binary log(s) {string.Join(", ", unnamed.Select(l => l.File))} have no numeric extension and were not archived");
        }
        // A log older than the oldest dump of the configuration that has a position (on this server, same base name)
        // is needed by no dump: retention removes such logs, and storing them again would undo it.
        var oldestNeeded = ours.Select(BinlogCatalog.PositionOf).OfType<BinlogPosition>()
            .Where(p => p.ServerId == state.ServerId)
            .GroupBy(p => BinlogFileName.Parse(p.File)!.BaseName, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Min(p => BinlogFileName.Parse(p.File)!.Sequence), StringComparer.Ordinal);
        bool Needed(string file) =>
            BinlogFileName.Parse(file) is { } name && (!oldestNeeded.TryGetValue(name.BaseName, out var first) || name.Sequence >= first);
        var todo = closed.Where(l => BinlogFileName.Parse(l.File) is not null && !archived.Contains(l.File) && Needed(l.File)).ToList();
        var limit = settings.PointInTime.MaxFilesPerRun;
        if (limit > 0 && todo.Count > limit)
        {
            warnings.Add($"{todo.Count - limit} closed binary log(s) wait for the next archive run (BINLOG_MAX_FILES_PER_RUN={limit}), from {todo[limit].File}");
            todo = todo.Take(limit).ToList();
        }
        log.Info(todo.Count == 0
            ? $"no closed binary log to archive ({closed.Count} closed on the server, all in the repository)"
            : $"archiving {todo.Count} binary log(s): {string.Join(", ", todo.Select(l => l.File))}");

        var folder = Path.Combine(temp, "binlog") + Path.DirectorySeparatorChar;
        Directory.CreateDirectory(folder);
        var added = new List<ResticSnapshot>();
        foreach (var binlog in todo)
        {
            try
            {
                var (stored, snapshot) = await ArchiveAsync(binlog, state, folder, warnings, stop);
                Stored.Add(stored);
                added.Add(snapshot);
            }
            catch (RunnerFailure e) when (e.Reason is FailureReason.DumpFailed && !stop.IsCancellationRequested)
            {
                if ((await binlogs.ListAsync(stop)).Any(l => l.File == binlog.File))
                {
                    throw;
                }
                // Purged (expiry, PURGE BINARY LOGS) between the listing and the copy: a gap, reported, not a failed run.
                warnings.Add($"binary log {binlog.File} was purged from the server while this run archived (it was listed, then could not be read): it is missing from the repository");
                log.Warning($"binary log {binlog.File} was purged before it could be copied ({e.Message})");
            }
        }
        return new ArchiveOutcome(Stored, [.. ours, .. added], warnings);
    }

    /// <summary>The snapshots of the run's configuration (its config and namespace tags).</summary>
    public static IEnumerable<ResticSnapshot> OfConfiguration(IEnumerable<ResticSnapshot> snapshots, SessionSettings session) =>
        snapshots.Where(s => s.Tag(ResticTags.Configuration) == (session.Configuration ?? "adhoc") && s.Tag(ResticTags.Namespace) == session.Namespace);

    /// <summary>The configuration's point-in-time recovery from its (confirmed) snapshots.</summary>
    public static PointInTimeReport Report(IEnumerable<ResticSnapshot> snapshots, SessionSettings session, int archivedFiles = 0, long archivedBytes = 0)
    {
        var ours = OfConfiguration(snapshots, session).ToList();
        var dumps = ours
            .Where(s => s.Database is not null && BinlogCatalog.PositionOf(s) is not null)
            .Select(s => new PositionedDump(s.Database!, s.Id, s.Time, BinlogCatalog.PositionOf(s)!))
            .ToList();
        var logs = ours.Select(BinlogCatalog.ArchivedOf).OfType<ArchivedBinlog>().ToList();
        return RecoveryWindows.Compute(dumps, logs) with { ArchivedFiles = archivedFiles, ArchivedBytes = archivedBytes };
    }

    private async Task<(ArchivedBinlog Stored, ResticSnapshot Snapshot)> ArchiveAsync(
        ServerBinlog binlog, BinlogState state, string folder, List<string> warnings, CancellationToken stop)
    {
        using var scope = log.BeginScope(new Serverless.Backup.Core.Logging.LogScope(("binlog", binlog.File)));
        var path = Path.Combine(folder, binlog.File);
        var announced = await pending.AnnounceBinlogAsync(Session, binlog.File, stop);
        var settled = false;
        try
        {
            var summary = await CopyAsync(binlog, path, stop);
            if (!summary.Closed)
            {
                warnings.Add($"binary log {binlog.File} does not end with a rotate or stop event (the server may have crashed while writing it); it was archived as it is");
            }
            var stored = new ArchivedBinlog(binlog.File, summary.FirstEvent, summary.LastEvent, summary.Size, state.ServerId);
            var (snapshotId, dataAdded) = await StoreAsync(stored, path, stop);
            await ConfirmAsync(announced, snapshotId, binlog.File);
            settled = true;
            log.Info($"archived binary log {binlog.File}: {summary.Size} bytes, events {summary.FirstEvent:u} to {summary.LastEvent:u}, snapshot {snapshotId[..Math.Min(8, snapshotId.Length)]}, {dataAdded} bytes added");
            var snapshot = new ResticSnapshot
            {
                Id = snapshotId,
                ShortId = snapshotId[..Math.Min(8, snapshotId.Length)],
                Time = DateTimeOffset.UtcNow,
                Hostname = Host,
                Paths = [BinlogCatalog.PathOf(binlog.File)],
                Tags = BinlogCatalog.TagsOf(stored, Session.Name!, Session.Namespace, Configuration),
            };
            return (stored with { SnapshotId = snapshotId }, snapshot);
        }
        finally
        {
            // At most one log in the temp folder at a time, whatever happened.
            File.Delete(path);
            if (!settled && !stop.IsCancellationRequested)
            {
                await TrySettleAfterFailureAsync(announced, binlog.File);
            }
        }
    }

    /// <summary>mariadb-binlog --read-from-remote-server --raw: the log's bytes as the server has them, proved whole.</summary>
    private async Task<BinlogFileSummary> CopyAsync(ServerBinlog binlog, string path, CancellationToken stop)
    {
        var errors = new OutputTail();
        var tool = Path.GetFileName(tools.BinlogPath);
        var result = await ChildProcesses.ExecuteAsync(
            Cli.Wrap(tools.BinlogPath)
                .WithArguments(tools.BinlogArguments(binlog.File, Path.GetDirectoryName(path) + Path.DirectorySeparatorChar))
                .WithEnvironmentVariables(ChildEnvironment.With())
                .WithStandardErrorPipe(PipeTarget.ToDelegate(errors.Add))
                .WithValidation(CommandResultValidation.None),
            stop);
        if (result.ExitCode != 0 || !File.Exists(path))
        {
            throw new RunnerFailure(FailureReason.DumpFailed,
                $"{tool} could not copy binary log {binlog.File} from the server (exit {result.ExitCode}): {errors}; if the log was purged meanwhile, the next run reports the gap; the user needs REPLICATION SLAVE to read logs");
        }
        BinlogFileSummary summary;
        try
        {
            summary = BinlogFile.Read(path);
        }
        catch (BinlogFormatException e)
        {
            throw new RunnerFailure(FailureReason.DumpTruncated, $"the copy of binary log {binlog.File} is not whole ({e.Message}); nothing of it was stored: run the archive again");
        }
        if (summary.Size != binlog.Size)
        {
            throw new RunnerFailure(FailureReason.DumpTruncated,
                $"the copy of binary log {binlog.File} has {summary.Size} bytes but the server lists {binlog.Size}; nothing of it was stored: run the archive again");
        }
        return summary;
    }

    private async Task<(string SnapshotId, long DataAdded)> StoreAsync(ArchivedBinlog binlog, string path, CancellationToken stop)
    {
        ResticSummary? summary = null;
        var errors = new OutputTail();
        var command = restic.Command(
            [
                "backup", "--stdin", "--stdin-filename", BinlogCatalog.PathOf(binlog.File)[1..], "--json", "--host", Host,
                .. BinlogCatalog.TagsOf(binlog, Session.Name!, Session.Namespace, Configuration).SelectMany(tag => new[] { "--tag", tag }),
            ])
            .WithStandardInputPipe(PipeSource.FromFile(path))
            .WithStandardOutputPipe(PipeTarget.ToDelegate(line =>
            {
                if (line.Contains("\"summary\"", StringComparison.Ordinal))
                {
                    summary = JsonSerializer.Deserialize<ResticSummary>(line);
                }
            }))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(errors.Add));
        using var forceful = new CancellationTokenSource();
        await using var escalate = stop.Register(() => forceful.CancelAfter(InterruptGrace));
        CommandResult result;
        try
        {
            result = await ChildProcesses.ExecuteAsync(command, forceful.Token, stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            throw new RunnerFailure(FailureReason.Cancelled, $"stopped while storing binary log {binlog.File}: its snapshot, if any, does not count and a later run removes it");
        }
        if (result.ExitCode != 0 || summary?.SnapshotId is null)
        {
            throw restic.Failure($"store binary log {binlog.File} in", errors);
        }
        return (summary.SnapshotId, summary.DataAdded);
    }

    /// <summary>The log is stored whole: from now on its snapshot counts.</summary>
    private async Task ConfirmAsync(PendingSnapshot announced, string snapshotId, string file)
    {
        using var timeout = new CancellationTokenSource(SettleTimeout);
        try
        {
            await pending.SettleAsync(announced, timeout.Token);
        }
        catch (Exception e) when (e is not RunnerFailure)
        {
            throw new RunnerFailure(FailureReason.StorageUnreachable,
                $"snapshot {snapshotId[..Math.Min(8, snapshotId.Length)]} of binary log {file} was saved but could not be confirmed in the storage ({e.Message.Split('\n')[0]}): it does not count, and a later run removes it and stores the log again");
        }
    }

    /// <summary>
    /// After a failure: forget whatever this session stored of the log, then remove the record. When that cannot be
    /// done the record stays, and the log's snapshot with it uncounted until a later run.
    /// </summary>
    private async Task TrySettleAfterFailureAsync(PendingSnapshot announced, string file)
    {
        if (restic.StorageUnreachable)
        {
            return;
        }
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            var ids = (await restic.SnapshotsAsync(timeout.Token)).Where(announced.Covers).Select(s => s.Id).ToList();
            if (await restic.ForgetAsync(ids, $"partial snapshot of binary log {file}", timeout.Token))
            {
                await pending.SettleAsync(announced, timeout.Token);
            }
        }
        catch (Exception e) when (e is RunnerFailure or OperationCanceledException or IOException)
        {
            log.Warning($"could not check for a partial snapshot of binary log {file} ({e.Message}): it stays unconfirmed, does not count, and a later run removes it");
        }
        catch (Exception e)
        {
            log.Warning($"could not remove the pending record of binary log {file} ({e.Message.Split('\n')[0]}); a later run removes it");
        }
    }
}
