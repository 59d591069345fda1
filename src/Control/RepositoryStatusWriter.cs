using System.Globalization;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Cluster;

namespace Serverless.Backup.Control;

/// <summary>
/// Writes what a runner reported about a repository into Repository.status (the status subresource, conflicts
/// retried): snapshot count, size, integrity, retention's removals, the last backup and the newest snapshots,
/// so that the HTTP API lists snapshots without running restic. A report older than the status's
/// <c>updated</c> is stale (a replay, or a slow runner overtaken by a newer one) and changes nothing.
/// </summary>
public static class RepositoryStatusWriter
{
    /// <summary>Applies a final event of a session of the repository; false when nothing was written.</summary>
    public static async Task<bool> ApplyAsync(IClusterGateway cluster, string @namespace, string repositoryName, RunnerEvent runnerEvent, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!Carries(runnerEvent))
        {
            return false;
        }
        var repository = await cluster.GetAsync<Repository>(@namespace, repositoryName, cancellationToken);
        if (repository is null)
        {
            return false;
        }
        var written = await StatusWriter.UpdateAsync(cluster, repository, r =>
        {
            var current = r.Status ?? new RepositoryStatus();
            // An `updated` in the future was written before event times were bounded: it orders nothing, and
            // leaving it would hide every later report.
            if (current.Updated is { } updated && updated <= now + SessionEvents.EventTimeSkew && runnerEvent.Time < updated)
            {
                return false;
            }
            r.Status = Apply(current, runnerEvent);
            return true;
        }, cancellationToken);
        return written is not null;
    }

    /// <summary>Whether the event says anything about the repository.</summary>
    public static bool Carries(RunnerEvent runnerEvent) => runnerEvent switch
    {
        SucceededEvent s => s.Repository is not null || s.Retention is not null || (s.Verb == "backup" && s.Databases.Count > 0),
        FailedEvent f => f.Repository is not null || f.Reason is FailureReason.IntegrityCheckFailed,
        _ => false,
    };

    public static RepositoryStatus Apply(RepositoryStatus current, RunnerEvent runnerEvent)
    {
        var next = current with { Updated = runnerEvent.Time };
        RepositoryReport? report = null;
        switch (runnerEvent)
        {
            case SucceededEvent succeeded:
                report = succeeded.Repository;
                if (succeeded.Verb == "backup" && succeeded.Databases.Count > 0 && !(current.LastBackupTime >= succeeded.Time))
                {
                    next = next with { LastBackupTime = succeeded.Time };
                }
                if (succeeded.Retention is { DryRun: false } retention)
                {
                    next = next with { SnapshotsRemovedOnLastCleanup = retention.Removed };
                }
                if (succeeded.Verb == "check" && report?.Integrity is null)
                {
                    // A check that succeeded found no error, whether or not the runner repeated it in the report.
                    next = next with { Integrity = true, IntegrityMessage = null, LastCheckTime = succeeded.Time };
                }
                break;
            case FailedEvent failed:
                report = failed.Repository;
                if (failed.Reason is FailureReason.IntegrityCheckFailed && report?.Integrity is null)
                {
                    next = next with { Integrity = false, IntegrityMessage = failed.Message, LastCheckTime = failed.Time };
                }
                break;
        }
        if (report is null)
        {
            return next;
        }
        next = next with
        {
            SnapshotCount = report.SnapshotCount,
            TotalSizeBytes = report.TotalSizeBytes ?? current.TotalSizeBytes,
            TotalSize = report.TotalSizeBytes is { } size ? HumanSize(size) : current.TotalSize,
            RecentSnapshots = report.RecentSnapshots.Take(RepositoryReport.MaxRecentSnapshots).Select(s => new RepositorySnapshot
            {
                Id = s.Id, Time = s.Time, Database = s.Database, Session = s.Session, Configuration = s.Configuration, Size = s.Size,
            }).ToList(),
        };
        if (report.Integrity is { } integrity)
        {
            next = next with { Integrity = integrity, IntegrityMessage = integrity ? null : report.IntegrityMessage, LastCheckTime = runnerEvent.Time };
        }
        return next;
    }

    /// <summary>Bytes as Stash writes Repository.status.totalSize: "512 B", "1.2 KiB", "3.4 GiB".</summary>
    public static string HumanSize(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }
}
