using System.Diagnostics;
using CliWrap;
using Microsoft.Extensions.Logging;
using Serverless.Backup.Core;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Core.Logging;
using Serverless.Backup.Runner.Database;
using Serverless.Backup.Runner.Logging;
using Serverless.Backup.Runner.Processes;
using Serverless.Backup.Runner.Reporting;
using Serverless.Backup.Runner.Restic;
using Serverless.Backup.Runner.Snapshots;
using Serverless.Backup.Runner.Streaming;

namespace Serverless.Backup.Runner.Restore;

/// <summary>
/// Streams snapshots back into the server: restic dump -> the runner (count, SHA-256, trailer) -> the mysql client.
/// The snapshots are chosen before anything is written, so a missing snapshot or session changes nothing.
/// A stream without mysqldump's completion trailer is a truncated dump: the client is interrupted before the
/// end of input and the run fails. Only confirmed snapshots are chosen (<see cref="PendingSnapshots"/>): one whose
/// backup run never confirmed it may hold a partial dump.
/// </summary>
public sealed class RestoreRun(
    RunnerSettings settings, MySqlServer server, MySqlTools tools, ResticClient restic, PendingSnapshots pending, Reporter reporter, ILogger log)
{
    /// <summary>Picks one snapshot per database from RESTORE_FROM_SESSION, RESTORE_SNAPSHOTS or the latest ones.</summary>
    public async Task<IReadOnlyList<ResticSnapshot>> SelectAsync(CancellationToken cancellationToken)
    {
        var restore = settings.Restore;
        var listed = await restic.SnapshotsAsync(cancellationToken);
        var unconfirmed = await pending.ListAsync(cancellationToken);
        var all = PendingSnapshots.Confirmed(listed, unconfirmed);
        string Unconfirmed(IEnumerable<ResticSnapshot> left) => left.Any()
            ? $" (the repository has {string.Join(", ", left.Select(s => s.ShortId ?? s.Id))} of it, which its backup run never confirmed: it was killed or is still running, and the snapshot may hold a partial dump)"
            : "";
        IEnumerable<ResticSnapshot> candidates;
        if (restore.FromSession is { } sessionName)
        {
            candidates = all.Where(s => s.Tag(ResticTags.Session) == sessionName).ToList();
            if (!candidates.Any())
            {
                throw new RunnerFailure(FailureReason.SnapshotNotFound,
                    $"the repository has no snapshot of session '{sessionName}'{Unconfirmed(listed.Except(all).Where(s => s.Tag(ResticTags.Session) == sessionName))}: check RESTORE_FROM_SESSION (a BackupSession that succeeded)");
            }
        }
        else if (restore.Snapshots.Count > 0 && !restore.Snapshots.SequenceEqual(["latest"]))
        {
            var chosen = new List<ResticSnapshot>();
            foreach (var id in restore.Snapshots)
            {
                var match = all.Where(s => s.Id.StartsWith(id, StringComparison.Ordinal)).ToList();
                chosen.Add(match.Count switch
                {
                    1 => match[0],
                    0 when listed.Except(all).Any(s => s.Id.StartsWith(id, StringComparison.Ordinal)) => throw new RunnerFailure(FailureReason.SnapshotNotFound,
                        $"snapshot '{id}' was never confirmed by its backup run, which was killed or is still running, so it may hold a partial dump and is not restored: choose a confirmed snapshot in RESTORE_SNAPSHOTS (the session's status or the repository's lists them)"),
                    0 => throw new RunnerFailure(FailureReason.SnapshotNotFound,
                        $"snapshot '{id}' does not exist in the repository: check RESTORE_SNAPSHOTS (restic snapshots, or the session's status, lists them)"),
                    _ => throw new RunnerFailure(FailureReason.SnapshotNotFound,
                        $"snapshot id '{id}' is ambiguous: set RESTORE_SNAPSHOTS to a longer id"),
                });
            }
            candidates = chosen;
        }
        else
        {
            candidates = settings.Session.Configuration is { } configuration
                ? all.Where(s => s.Tag(ResticTags.Configuration) == configuration)
                : all;
        }

        // One snapshot per database: the newest.
        var perDatabase = candidates
            .Where(s => s.Database is not null)
            .GroupBy(s => s.Database!, StringComparer.Ordinal)
            .Select(g => g.OrderByDescending(s => s.Time).First())
            .ToList();
        if (restore.Databases.Count > 0)
        {
            var missing = restore.Databases.Where(d => perDatabase.All(s => s.Database != d)).ToList();
            if (missing.Count > 0)
            {
                throw new RunnerFailure(FailureReason.SnapshotNotFound,
                    $"no snapshot holds database {string.Join(", ", missing.Select(DatabaseNames.Show))}: fix RESTORE_DATABASES; the chosen snapshots hold {string.Join(", ", perDatabase.Select(s => DatabaseNames.Show(s.Database)))}");
            }
            perDatabase = perDatabase.Where(s => restore.Databases.Contains(s.Database!)).ToList();
        }
        var unknownRenames = restore.Rename.Keys.Where(k => perDatabase.All(s => s.Database != k)).ToList();
        if (unknownRenames.Count > 0)
        {
            throw new RunnerFailure(FailureReason.InvalidSettings,
                $"RESTORE_RENAME names {string.Join(", ", unknownRenames.Select(DatabaseNames.Show))}, which the chosen snapshots do not hold: use source names from {string.Join(", ", perDatabase.Select(s => DatabaseNames.Show(s.Database)))}");
        }
        return perDatabase.Count > 0
            ? perDatabase.OrderBy(s => s.Database, StringComparer.Ordinal).ToList()
            : throw new RunnerFailure(FailureReason.SnapshotNotFound, "the repository has no database snapshot to restore");
    }

    public async Task<IReadOnlyList<DatabaseResult>> RunAsync(IReadOnlyList<ResticSnapshot> snapshots, CancellationToken stop)
    {
        var results = new List<DatabaseResult>();
        foreach (var snapshot in snapshots)
        {
            using (log.BeginScope(new LogScope(("database", snapshot.Database))))
            {
                results.Add(await RestoreSnapshotAsync(snapshot, stop));
            }
        }
        return results;
    }

    /// <summary>Restores one snapshot into its target (RESTORE_RENAME), creating the database when missing.</summary>
    public async Task<DatabaseResult> RestoreSnapshotAsync(ResticSnapshot snapshot, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        var source = snapshot.Database!;
        var target = settings.Restore.Rename.TryGetValue(source, out var renamed) ? renamed : source;
        await server.CreateDatabaseAsync(target, snapshot.Tag(ResticTags.CharacterSet), snapshot.Tag(ResticTags.Collation), stop);

        var client = Path.GetFileName(tools.ClientPath);
        using var meter = new SqlStreamMeter(source, reporter);
        var clientErrors = new OutputTail();
        var resticErrors = new OutputTail();
        var dump = restic.Command(["dump", "--no-lock", snapshot.Id, snapshot.FileName])
            .WithStandardErrorPipe(PipeTarget.ToDelegate(resticErrors.Add));

        var apply = Cli.Wrap(tools.ClientPath)
            .WithArguments(tools.ClientArguments(target))
            .WithEnvironmentVariables(ChildEnvironment.With())
            .WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(PipeTarget.Null)
            .WithStandardErrorPipe(PipeTarget.ToDelegate(clientErrors.Add));

        // Once the storage is unreachable the stream cannot go on: stop the client sooner than a normal interrupt allows.
        var outcome = await GuardedPipe.RunAsync(dump, apply, meter, stop,
            () => restic.StorageUnreachable ? TimeSpan.FromSeconds(5) : GuardedPipe.InterruptGrace);
        var (dumpExitCode, pipeError, clientExitCode) = (outcome.ProducerExitCode, outcome.PipeError, outcome.ConsumerExitCode);

        stop.ThrowIfCancellationRequested();
        if (clientExitCode is { } code && code != 0)
        {
            throw new RunnerFailure(FailureReason.RestoreFailed,
                $"{client} exited {code} while restoring {DatabaseNames.Show(source)} into {DatabaseNames.Show(target)} after {meter.Bytes} bytes: {clientErrors}; the database may be partly restored", source);
        }
        if (dumpExitCode is { } dumpCode && dumpCode != 0)
        {
            throw restic.Failure($"dump snapshot {snapshot.ShortId ?? snapshot.Id} from", resticErrors, source);
        }
        if (dumpExitCode is null || pipeError is not null)
        {
            throw new RunnerFailure(FailureReason.RestoreFailed,
                $"restoring {DatabaseNames.Show(source)} into {DatabaseNames.Show(target)} broke off after {meter.Bytes} bytes ({pipeError?.Message}): {client}: {clientErrors}; restic: {resticErrors}", source, pipeError);
        }
        if (!meter.EndsWithCompletionTrailer)
        {
            throw new RunnerFailure(FailureReason.DumpTruncated,
                $"snapshot {snapshot.ShortId ?? snapshot.Id} of {DatabaseNames.Show(source)} does not end with mysqldump's completion trailer: it holds a truncated dump, so it was not applied to the end; restore an older snapshot", source);
        }

        using (log.BeginScope(new LogScope(("snapshotId", snapshot.ShortId ?? snapshot.Id))))
        {
            log.Restored(DatabaseNames.Show(source), DatabaseNames.Show(target), meter.Bytes, snapshot.Id);
        }
        return new DatabaseResult
        {
            Database = source,
            SnapshotId = snapshot.Id,
            Bytes = meter.Bytes,
            Sha256 = meter.Sha256,
            DurationSeconds = Math.Round(clock.Elapsed.TotalSeconds, 3),
            RestoredInto = target,
        };
    }
}
