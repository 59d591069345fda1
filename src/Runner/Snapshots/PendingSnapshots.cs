using System.Text.Json;
using Microsoft.Extensions.Logging;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Runner.Logging;
using Serverless.Backup.Runner.Processes;
using Serverless.Backup.Runner.Restic;
using Serverless.Backup.Runner.Storage;

namespace Serverless.Backup.Runner.Snapshots;

/// <summary>
/// Snapshots count only once their run has confirmed them. Before restic starts on a database, the backup writes a
/// small object under <see cref="Folder"/> in the repository's storage naming the session, the database and the
/// runner's process; it removes it once the stream ended with mysqldump's completion trailer and restic saved it (or
/// once it removed what restic saved of a broken stream). A runner killed in between (SIGKILL, the OOM killer, a
/// lost node) cannot remove it: whatever restic saved of that stream stays unconfirmed, and restore, retention and
/// the repository report leave it out. A later run removes such snapshots once it knows their runner has ended:
/// with REPOSITORY_EXCLUSIVE=true no other session is active, so every runner that left one has ended; otherwise
/// when the runner ran on this host and its process is gone. restic never lists this folder (it is not one of its
/// object types), and it costs one small write and one delete per database.
/// </summary>
public sealed class PendingSnapshots(IObjectStore objects, ILogger log)
{
    public const string Folder = "backup-runner/pending/";

    /// <summary>Announces a stream before restic may save anything of it.</summary>
    public Task<PendingSnapshot> AnnounceAsync(SessionSettings session, string database, CancellationToken cancellationToken) =>
        AnnounceAsync(session, database, null, cancellationToken);

    /// <summary>Announces an archive run's stream of one binary-log file before restic may save anything of it.</summary>
    public Task<PendingSnapshot> AnnounceBinlogAsync(SessionSettings session, string file, CancellationToken cancellationToken) =>
        AnnounceAsync(session, "binlog:" + file, file, cancellationToken);

    private async Task<PendingSnapshot> AnnounceAsync(SessionSettings session, string database, string? binlog, CancellationToken cancellationToken)
    {
        var me = ProcessIdentity.Current;
        var pending = new PendingSnapshot
        {
            Key = $"{Folder}{Guid.NewGuid():N}.json",
            Namespace = session.Namespace,
            Configuration = session.Configuration ?? "adhoc",
            Session = session.Name!,
            Database = database,
            Binlog = binlog,
            Host = me.Host,
            ProcessId = me.ProcessId,
            ProcessStart = me.StartTicks,
            Time = DateTimeOffset.UtcNow,
        };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(pending);
        using var content = new MemoryStream(bytes, writable: false);
        await objects.TryCreateAsync(pending.Key, content, bytes.Length, null, cancellationToken);
        return pending;
    }

    /// <summary>The stream is settled (its snapshot is complete, or nothing of it is left): its snapshot counts from now on.</summary>
    public async Task SettleAsync(PendingSnapshot pending, CancellationToken cancellationToken) =>
        await objects.DeleteAsync(pending.Key, cancellationToken);

    /// <summary>Every stream not confirmed yet, by live runs or by runs that were killed.</summary>
    public async Task<IReadOnlyList<PendingSnapshot>> ListAsync(CancellationToken cancellationToken) =>
        (await ReadAllAsync(cancellationToken)).Readable;

    /// <summary>The snapshots that count: those no pending stream covers.</summary>
    public static IReadOnlyList<ResticSnapshot> Confirmed(IEnumerable<ResticSnapshot> snapshots, IReadOnlyList<PendingSnapshot> pending) =>
        snapshots.Where(s => !pending.Any(p => p.Covers(s))).ToList();

    /// <summary>
    /// Removes what runs that have ended left unconfirmed: the snapshots of their streams (restic forget, which
    /// needs the repository to itself) and then their records. Returns the pending streams that remain (of runs
    /// that may still be live, or whose snapshots could not be forgotten now).
    /// </summary>
    public async Task<IReadOnlyList<PendingSnapshot>> RemoveAbandonedAsync(bool exclusive, ResticClient restic, CancellationToken cancellationToken)
    {
        // A record whose writer was killed while writing it was never announced: nothing of its stream was saved.
        await objects.RemoveIncompleteAsync(Folder, exclusive, cancellationToken);
        var (pending, unreadable) = await ReadAllAsync(cancellationToken);
        var abandoned = pending.Where(p => exclusive || new ProcessIdentity(p.Host, p.ProcessId, p.ProcessStart).HasEnded).ToList();
        if (abandoned.Count > 0 && await AnyLockAsync(cancellationToken))
        {
            // A restic that outlived its runner (where children cannot be tied to it) holds its lock until it exits
            // and may still save: only once the locks are gone (stale ones were removed before) is it safe to settle.
            log.Info($"{abandoned.Count} stream(s) of runs that ended without confirming them ({string.Join(", ", abandoned)}) stay unconfirmed while the repository has locks; a later run removes them");
            return pending;
        }
        if (abandoned.Count > 0)
        {
            var snapshots = await restic.SnapshotsAsync(cancellationToken);
            var ids = snapshots.Where(s => abandoned.Any(p => p.Covers(s))).Select(s => s.Id).ToList();
            var why = exclusive ? "REPOSITORY_EXCLUSIVE=true: no other session is active" : "their runner's process on this host has ended";
            if (!await restic.ForgetAsync(ids, "unconfirmed snapshot", cancellationToken))
            {
                log.Warning($"{ids.Count} unconfirmed snapshot(s) of runs that were killed ({string.Join(", ", abandoned)}) could not be removed now; they do not count, and the next run removes them");
                return pending;
            }
            foreach (var stream in abandoned)
            {
                await SettleAsync(stream, cancellationToken);
            }
            log.Warning($"{abandoned.Count} stream(s) of runs that ended without confirming them ({string.Join(", ", abandoned)}; {why}): removed {ids.Count} unconfirmed snapshot(s) they left{(ids.Count > 0 ? " (" + string.Join(", ", ids.Select(id => id[..Math.Min(8, id.Length)])) + ")" : "")}");
        }
        if (exclusive)
        {
            foreach (var key in unreadable)
            {
                await objects.DeleteAsync(key, cancellationToken);
            }
        }
        return pending.Except(abandoned).ToList();
    }

    private async Task<bool> AnyLockAsync(CancellationToken cancellationToken)
    {
        await foreach (var _ in objects.ListAsync("locks/", cancellationToken))
        {
            return true;
        }
        return false;
    }

    private async Task<(List<PendingSnapshot> Readable, List<string> Unreadable)> ReadAllAsync(CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        await foreach (var item in objects.ListAsync(Folder, cancellationToken))
        {
            keys.Add(item.Key);
        }
        var readable = new List<PendingSnapshot>();
        var unreadable = new List<string>();
        foreach (var key in keys)
        {
            try
            {
                await using var stream = await objects.OpenReadAsync(key, 0, null, cancellationToken);
                if (await JsonSerializer.DeserializeAsync<PendingSnapshot>(stream, cancellationToken: cancellationToken) is { } pending)
                {
                    readable.Add(pending with { Key = key });
                }
            }
            catch (ObjectNotFoundException)
            {
                // Settled while we looked.
            }
            catch (JsonException e)
            {
                // What it covers is unknown: it covers nothing, and an exclusive run removes it.
                log.Warning($"the pending-snapshot record {key} is not readable ({e.Message}); it is ignored");
                unreadable.Add(key);
            }
        }
        return (readable, unreadable);
    }
}
