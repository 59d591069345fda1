using System.Diagnostics;
using System.Text.Json;
using CliWrap;
using Microsoft.Extensions.Logging;
using Serverless.Backup.Core;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Core.Logging;
using Serverless.Backup.Runner.Database;
using Serverless.Backup.Runner.Logging;
using Serverless.Backup.Runner.PointInTime;
using Serverless.Backup.Runner.Processes;
using Serverless.Backup.Runner.Reporting;
using Serverless.Backup.Runner.Restic;
using Serverless.Backup.Runner.Snapshots;
using Serverless.Backup.Runner.Streaming;

namespace Serverless.Backup.Runner.Backup;

/// <summary>
/// Streams each database's dump into its own restic snapshot: mysqldump -> the runner (count, SHA-256, trailer)
/// -> restic backup --stdin. restic 0.14 saves whatever reached its stdin when the input ends, so the runner closes
/// restic's stdin only after the dump exited 0 and ended with its completion trailer; otherwise it interrupts
/// restic (SIGINT: exit 130, nothing saved, lock removed) while the input is still open, and as a second line of
/// defence forgets any snapshot of the session's database that got written anyway. Each stream is announced in the
/// storage before restic starts and settled once its outcome is known (<see cref="PendingSnapshots"/>), so that a
/// runner killed in between never leaves a snapshot that counts.
/// <para>
/// With a <see cref="BinlogState"/> (BINLOG_RECORD_POSITION) the dump states its binary-log position in a comment at
/// its head: restic starts only once the runner has read it there (at most <see cref="DumpHead.Limit"/> bytes), with
/// the position in its tags (<see cref="BinlogCatalog.TagsOf(BinlogPosition)"/>), and gets the head, then the rest.
/// </para>
/// </summary>
public sealed class BackupRun(
    SessionSettings session, MySqlServer server, MySqlTools tools, ResticClient restic, PendingSnapshots pending, Reporter reporter, ILogger log,
    BinlogState? binlog = null, DumpTool? dumpTool = null)
{
    private readonly Dictionary<string, BinlogPosition> _positions = new(StringComparer.Ordinal);

    /// <summary>The binary-log position of each snapshot this run wrote (by snapshot id), with BINLOG_RECORD_POSITION.</summary>
    public IReadOnlyDictionary<string, BinlogPosition> Positions => _positions;

    /// <summary>How long settling a stream's record may take once the stream is over (the run may be stopping).</summary>
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long an interrupted restic may take once the storage is unreachable (it cannot remove its lock there).</summary>
    private static readonly TimeSpan UnreachableGrace = TimeSpan.FromSeconds(5);

    public string Host => $"{session.Namespace}.{session.Configuration ?? "adhoc"}";

    public async Task<IReadOnlyList<DatabaseResult>> RunAsync(IReadOnlyList<string> databases, CancellationToken stop)
    {
        var results = new List<DatabaseResult>();
        foreach (var database in databases)
        {
            using (log.BeginScope(new LogScope(("database", database))))
            {
                results.Add(await BackupDatabaseAsync(database, stop));
            }
        }
        return results;
    }

    private async Task<DatabaseResult> BackupDatabaseAsync(string database, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        var (characterSet, collation) = await server.GetDefaultsAsync(database, stop);
        var tool = Path.GetFileName(tools.DumpPath);
        using var meter = new SqlStreamMeter(database, reporter);
        var dumpErrors = new OutputTail();
        var resticErrors = new OutputTail();
        ResticSummary? summary = null;

        IReadOnlyList<string> positionOptions = binlog is null ? [] : binlog.DumpOptions(dumpTool ?? new DumpTool(Path.GetFileName(tools.DumpPath).StartsWith("mariadb", StringComparison.Ordinal), new Version(0, 0, 0)));
        var dump = Cli.Wrap(tools.DumpPath)
            .WithArguments(tools.DumpArguments(database, positionOptions))
            .WithEnvironmentVariables(ChildEnvironment.With())
            .WithStandardErrorPipe(PipeTarget.ToDelegate(dumpErrors.Add))
            .WithValidation(CommandResultValidation.None);

        Command Backup(IReadOnlyList<string> positionTags) => restic.Command(
            [
                "backup", "--stdin", "--stdin-filename", ResticTags.FileName(database), "--json", "--host", Host,
                .. ResticTags.OfRun(session, database).SelectMany(tag => new[] { "--tag", tag }),
                "--tag", ResticTags.Of(ResticTags.CharacterSet, characterSet),
                "--tag", ResticTags.Of(ResticTags.Collation, collation),
                // BACKUP_SNAPSHOT_TIME (imports, tests with a fixed clock); restic reads it in its zone, which is UTC.
                .. session.SnapshotTimeUtc is { } time ? ["--time", time.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)] : Array.Empty<string>(),
                .. positionTags.SelectMany(tag => new[] { "--tag", tag }),
            ])
            .WithStandardOutputPipe(PipeTarget.ToDelegate(line =>
            {
                if (line.Contains("\"summary\"", StringComparison.Ordinal))
                {
                    summary = JsonSerializer.Deserialize<ResticSummary>(line);
                }
            }))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(resticErrors.Add));

        // Announced before restic starts: whatever restic saves of this stream counts only once it is settled below.
        var announced = await pending.AnnounceAsync(session, database, stop);
        // restic's cleanup when interrupted (removing its lock) needs the storage: once that is unreachable, wait less.
        Func<TimeSpan> grace = () => restic.StorageUnreachable ? UnreachableGrace : GuardedPipe.InterruptGrace;
        BinlogPosition? position = null;
        RunnerFailure? headFailure = null;
        var outcome = binlog is null
            ? await GuardedPipe.RunAsync(dump, Backup([]), meter, stop, grace)
            : await GuardedPipe.RunWithHeadAsync(dump, async (stdout, token) =>
            {
                var (head, stated) = await DumpHead.ReadAsync(stdout, token);
                if (stated is null)
                {
                    headFailure = new RunnerFailure(FailureReason.DumpFailed,
                        $"the dump of {DatabaseNames.Show(database)} did not state its binary-log position (no '-- CHANGE MASTER TO MASTER_LOG_FILE=…' or '-- CHANGE REPLICATION SOURCE TO SOURCE_LOG_FILE=…' line in its first {head.Length} bytes): nothing was kept; check that MYSQL_DUMP_ARGS does not turn {string.Join(' ', positionOptions)} off", database);
                    return (head, null);
                }
                // MariaDB writes its GTID position at the end of the dump: the server says which it is at this position.
                var gtid = stated.GtidPurged ?? (binlog.Kind.MariaDb ? await new BinlogServer(server).GtidAtAsync(stated.File, stated.Position, token) : null);
                position = new BinlogPosition(stated.File, stated.Position, binlog.ServerId, gtid);
                if (BinlogFileName.Parse(stated.File) is null)
                {
                    headFailure = new RunnerFailure(FailureReason.BinaryLogUnavailable,
                        $"the dump of {DatabaseNames.Show(database)} states the binary-log file '{stated.File}', which is not a name with a numeric extension (such as mysql-bin.000042): point-in-time recovery cannot follow it; nothing was kept", database);
                    return (head, null);
                }
                return (head, Backup(BinlogCatalog.TagsOf(position)));
            }, meter, stop, grace);
        var (dumpExitCode, pipeError, resticExitCode) = (outcome.ProducerExitCode, outcome.PipeError, outcome.ConsumerExitCode);

        var failure = stop.IsCancellationRequested || headFailure is null || (pipeError is null && dumpExitCode != 0)
            ? Classify(database, tool, meter, dumpExitCode, pipeError, resticExitCode, resticErrors, dumpErrors, stop)
            : headFailure;
        if (failure is not null || summary?.SnapshotId is null)
        {
            // When restic itself failed it saved nothing (and listing would fail the same way); otherwise check.
            // An unreachable storage can neither be listed nor cleaned: the stream stays pending, and uncounted.
            var clean = !restic.StorageUnreachable
                && ((summary?.SnapshotId is null && failure?.Reason is FailureReason.RepositoryError or FailureReason.RepositoryPasswordWrong or FailureReason.StorageUnreachable)
                    || await ForgetPartialAsync(database, summary?.SnapshotId));
            if (clean)
            {
                await TrySettleAsync(announced);
            }
            throw failure ?? new RunnerFailure(FailureReason.RepositoryError,
                $"restic reported no snapshot for {DatabaseNames.Show(database)}: {resticErrors}", database);
        }
        await ConfirmAsync(announced, summary.SnapshotId, database);
        if (position is not null)
        {
            _positions[summary.SnapshotId] = position;
            log.Info($"the dump of {DatabaseNames.Show(database)} stands at {position.File}:{position.Position} of server {position.ServerId}{(position.Gtid is null ? "" : $" (GTID {position.Gtid})")}");
        }

        using (log.BeginScope(new LogScope(("snapshotId", summary.SnapshotId))))
        {
            log.BackedUp(DatabaseNames.Show(database), meter.Bytes, summary.SnapshotId, summary.DataAdded);
        }
        return new DatabaseResult
        {
            Database = database,
            SnapshotId = summary.SnapshotId,
            Bytes = meter.Bytes,
            Sha256 = meter.Sha256,
            DataAdded = summary.DataAdded,
            DurationSeconds = Math.Round(clock.Elapsed.TotalSeconds, 3),
        };
    }

    private RunnerFailure? Classify(
        string database, string tool, SqlStreamMeter meter, int? dumpExitCode, Exception? pipeError,
        int? resticExitCode, OutputTail resticErrors, OutputTail dumpErrors, CancellationToken stop)
    {
        if (stop.IsCancellationRequested)
        {
            // Stopped (SIGTERM), or the storage watchdog ended the run: the runner's final message says which.
            return new RunnerFailure(FailureReason.Cancelled, $"stopped while backing up {DatabaseNames.Show(database)}", database);
        }
        // restic failed on its own (not interrupted by us): its error explains the rest.
        if (resticExitCode is { } code && code != 0 && code != 130)
        {
            return restic.Failure("back up to", resticErrors, database);
        }
        if (dumpExitCode is null || pipeError is not null)
        {
            return new RunnerFailure(FailureReason.DumpFailed,
                $"the dump of {DatabaseNames.Show(database)} broke off after {meter.Bytes} bytes ({pipeError?.Message ?? "no exit code"}); restic: {resticErrors}; nothing was kept", database, pipeError);
        }
        if (dumpExitCode != 0)
        {
            return new RunnerFailure(FailureReason.DumpFailed,
                $"{tool} exited {dumpExitCode} while dumping {DatabaseNames.Show(database)} after {meter.Bytes} bytes: {dumpErrors}; nothing was kept (check the user's privileges: it needs SELECT, SHOW VIEW, TRIGGER, EVENT and LOCK TABLES)", database);
        }
        if (!meter.EndsWithCompletionTrailer)
        {
            return new RunnerFailure(FailureReason.DumpTruncated,
                $"the dump of {DatabaseNames.Show(database)} ended after {meter.Bytes} bytes without {tool}'s completion trailer ('{MySqlTools.CompletionTrailer}'): it is incomplete and nothing was kept", database);
        }
        return null;
    }

    /// <summary>
    /// Removes any snapshot this session wrote for the database: after a failure it can only hold a partial stream.
    /// Returns false when that could not be checked (the stream's record then stays, and the snapshot with it uncounted).
    /// </summary>
    private async Task<bool> ForgetPartialAsync(string database, string? reported)
    {
        try
        {
            var ids = new HashSet<string>(StringComparer.Ordinal);
            if (reported is not null)
            {
                ids.Add(reported);
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            foreach (var snapshot in await restic.SnapshotsAsync(timeout.Token))
            {
                if (snapshot.Tag(ResticTags.Session) == session.Name && snapshot.Database == database)
                {
                    ids.Add(snapshot.Id);
                }
            }
            return await restic.ForgetAsync(ids, "partial snapshot", timeout.Token);
        }
        catch (Exception e) when (e is RunnerFailure or OperationCanceledException or IOException)
        {
            log.Warning($"could not check for a partial snapshot of {DatabaseNames.Show(database)} ({e.Message}): any snapshot of it stays unconfirmed, does not count, and a later run removes it");
            return false;
        }
    }

    /// <summary>The stream was complete and restic saved it: from now on its snapshot counts.</summary>
    private async Task ConfirmAsync(PendingSnapshot announced, string snapshotId, string database)
    {
        using var timeout = new CancellationTokenSource(SettleTimeout);
        try
        {
            await pending.SettleAsync(announced, timeout.Token);
        }
        catch (Exception e) when (e is not RunnerFailure)
        {
            throw new RunnerFailure(FailureReason.StorageUnreachable,
                $"snapshot {snapshotId[..Math.Min(8, snapshotId.Length)]} of {DatabaseNames.Show(database)} was saved but could not be confirmed in the storage ({e.Message.Split('\n')[0]}): it does not count, and a later run removes it; check the storage and run the backup again", database, e);
        }
    }

    /// <summary>Nothing of the stream is left: its record goes (best effort; a record left behind is removed by a later run).</summary>
    private async Task TrySettleAsync(PendingSnapshot announced)
    {
        using var timeout = new CancellationTokenSource(SettleTimeout);
        try
        {
            await pending.SettleAsync(announced, timeout.Token);
        }
        catch (Exception e)
        {
            log.Warning($"could not remove the pending record of {announced} ({e.Message.Split('\n')[0]}); a later run removes it");
        }
    }
}
