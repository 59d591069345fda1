using k8s;
using k8s.Models;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Control.Cluster;
using Serverless.Backup.Control.Resources;

namespace Serverless.Backup.Control;

/// <summary>
/// Writes a configuration's point-in-time recovery into its status.pointInTime: the window(s), gaps and last
/// archived file that an archive run (or a backup or forget of a configuration with spec.pointInTime) reported,
/// and the outcome of the last archive run. A report older than the one recorded changes nothing; a restore's
/// report (RestoredTo) is its session's, never the configuration's.
/// </summary>
public static class PointInTimeStatusWriter
{
    /// <summary>The configuration a session's report belongs to: a backup's invoker, an archive's or forget's spec.configuration.</summary>
    private static string? ConfigurationOf(IKubernetesObject<V1ObjectMeta> session) => session switch
    {
        BackupSession backup => backup.Spec.Invoker.Name,
        MaintenanceSession { Spec.Task: MaintenanceTask.Archive or MaintenanceTask.Forget } maintenance => maintenance.Spec.Configuration,
        _ => null,
    };

    private static bool IsArchive(IKubernetesObject<V1ObjectMeta> session) => session is MaintenanceSession { Spec.Task: MaintenanceTask.Archive };

    /// <summary>Whether the final event changes status.pointInTime of the session's configuration.</summary>
    public static bool Carries(IKubernetesObject<V1ObjectMeta> session, RunnerEvent runnerEvent) =>
        ConfigurationOf(session) is not null && runnerEvent switch
        {
            SucceededEvent s => s.PointInTime is not null || IsArchive(session),
            FailedEvent => IsArchive(session),
            _ => false,
        };

    /// <summary>Writes what the final event says; false when nothing was written.</summary>
    public static async Task<bool> ApplyAsync(IClusterGateway cluster, IKubernetesObject<V1ObjectMeta> session, RunnerEvent runnerEvent, CancellationToken cancellationToken)
    {
        if (!Carries(session, runnerEvent))
        {
            return false;
        }
        var ns = session.Metadata.NamespaceProperty ?? "default";
        var configuration = await cluster.GetAsync<BackupConfiguration>(ns, ConfigurationOf(session)!, cancellationToken);
        if (configuration is null)
        {
            return false;
        }
        var report = runnerEvent switch
        {
            SucceededEvent s => s.PointInTime,
            FailedEvent f => f.PointInTime,
            _ => null,
        };
        var written = await StatusWriter.UpdateAsync(cluster, configuration, c =>
        {
            var current = c.Status?.PointInTime ?? new PointInTimeStatus();
            if (current.ReportTime is { } recorded && recorded > runnerEvent.Time)
            {
                return false;
            }
            // A failed run's report names the logs it stored before failing, never what can be restored: the
            // windows and gaps of the last complete report stay.
            var next = report is null ? current
                : runnerEvent is FailedEvent ? current with { LastArchivedFile = report.LastArchivedFile ?? current.LastArchivedFile }
                : Apply(current, report);
            next = next with { ReportTime = runnerEvent.Time };
            if (IsArchive(session))
            {
                next = runnerEvent is FailedEvent failed
                    ? next with { LastError = $"{failed.Reason}: {failed.Message}" }
                    : next with { LastError = null, LastArchiveTime = runnerEvent.Time, LastArchiveSession = session.Metadata.Name };
            }
            c.Status = (c.Status ?? new()) with { PointInTime = next };
            return true;
        }, cancellationToken);
        return written is not null;
    }

    /// <summary>An archive session that ended without the runner's report (its Job failed, vanished or timed out): status.pointInTime.lastError says so.</summary>
    public static async Task RecordUnreportedAsync(IClusterGateway cluster, IKubernetesObject<V1ObjectMeta> session, string message, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!IsArchive(session) || ConfigurationOf(session) is not { } name)
        {
            return;
        }
        var configuration = await cluster.GetAsync<BackupConfiguration>(session.Metadata.NamespaceProperty ?? "default", name, cancellationToken);
        if (configuration is null)
        {
            return;
        }
        await StatusWriter.UpdateAsync(cluster, configuration, c =>
        {
            var current = c.Status?.PointInTime ?? new PointInTimeStatus();
            if (current.ReportTime is { } recorded && recorded > now)
            {
                return false;
            }
            c.Status = (c.Status ?? new()) with { PointInTime = current with { LastError = $"archive session {session.Metadata.Name}: {message}", ReportTime = now } };
            return true;
        }, cancellationToken);
    }

    private static PointInTimeStatus Apply(PointInTimeStatus current, PointInTimeReport report) => current with
    {
        Earliest = report.Earliest,
        Latest = report.Latest,
        LastArchivedFile = report.LastArchivedFile ?? current.LastArchivedFile,
        Windows = [.. report.Windows.Select(w => new PointInTimeWindow { Start = w.Start, End = w.End })],
        Gaps = [.. report.Gaps.Select(g => new PointInTimeGap { FirstMissingFile = g.FirstMissingFile, LastMissingFile = g.LastMissingFile, From = g.From, To = g.To, Message = g.Message })],
    };
}
