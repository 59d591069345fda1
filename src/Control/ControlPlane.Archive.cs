using k8s.Models;
using Serverless.Backup.Core;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Schedules;

namespace Serverless.Backup.Control;

/// <summary>
/// The binary-log archive schedule of each BackupConfiguration with spec.pointInTime.enabled (default every 5
/// minutes): ScheduleTick creates an archive MaintenanceSession per slot, named deterministically, so that a
/// duplicate firing or a second instance makes one session. While an archive of the configuration is still
/// Pending or Running a slot is passed over (the next run stores what this one would have). Reconcile runs it
/// beside backups and restores, never beside exclusive maintenance or another archive of the repository.
/// </summary>
public sealed partial class ControlPlane
{
    /// <summary>The archive slot that is due for a valid, unpaused configuration, or null.</summary>
    private DateTimeOffset? ArchiveDue(BackupConfiguration configuration, DateTimeOffset now)
    {
        if (ArchiveScheduleOf(configuration) is not { } schedule)
        {
            return null;
        }
        var slot = schedule.MostRecent(now, DefaultStartingDeadline);
        return slot is null || slot <= Past(configuration.Status?.LastArchiveScheduleTime, now) ? null : slot;
    }

    /// <summary>The archive schedule of a configuration whose point-in-time recovery is enabled and valid, or null.</summary>
    public BackupSchedule? ArchiveScheduleOf(BackupConfiguration configuration)
    {
        if (configuration.Spec.PointInTime is not { Enabled: true } pointInTime || ProblemOf(configuration, out _) is not null
            || FeatureProblemsOf(configuration).PointInTime is not null)
        {
            return null;
        }
        return BackupSchedule.TryParse(pointInTime.Schedule ?? PointInTimeSpec.DefaultSchedule, configuration.Spec.TimeZone ?? settings.TimeZone, out var schedule, out _) ? schedule : null;
    }

    private async Task<int> ArchiveTickAsync(TickReport report, List<(BackupConfiguration Configuration, DateTimeOffset Slot)> due, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (due.Count == 0)
        {
            return 0;
        }
        var maintenances = await cluster.ListAsync<MaintenanceSession>(null, null, cancellationToken);
        var scheduler = new MaintenanceScheduler(cluster, settings, clock, metrics, Log, Telemetry);
        var created = 0;
        await report.EachAsync(due, d => Identify(d.Configuration), async d =>
        {
            var configuration = d.Configuration;
            var unfinished = maintenances.FirstOrDefault(m => m.Namespace == configuration.Namespace && m.Spec.Task == MaintenanceTask.Archive
                && m.Spec.Configuration == configuration.Name && !SessionPhase.IsFinished(m.Status?.Phase));
            if (unfinished is null)
            {
                var session = new MaintenanceSession
                {
                    Metadata = new V1ObjectMeta { Name = ArchiveSessionName(configuration.Name, d.Slot), NamespaceProperty = configuration.Namespace },
                    Spec = new MaintenanceSessionSpec
                    {
                        Repository = new ObjectReference { Name = configuration.Spec.Repository.Name },
                        Task = MaintenanceTask.Archive,
                        Configuration = configuration.Name,
                        ScheduledFor = d.Slot,
                        TimeOut = configuration.Spec.PointInTime?.TimeOut,
                    },
                };
                created += await scheduler.CreateAsync(session, cancellationToken) ? 1 : 0;
            }
            await StatusWriter.UpdateAsync(cluster, configuration, c =>
            {
                if (Past(c.Status?.LastArchiveScheduleTime, now) >= d.Slot)
                {
                    return false;
                }
                c.Status = (c.Status ?? new()) with { LastArchiveScheduleTime = d.Slot };
                return true;
            }, cancellationToken);
        }, cancellationToken);
        return created;
    }

    /// <summary>
    /// The archive session of a schedule slot: the same configuration and slot always give the same name. It ends in
    /// "-archive", which no scheduled backup, verify or check session name does (they end in the slot's digits), so
    /// an archive never shares its name (and its Job's) with another configuration's session.
    /// </summary>
    public static string ArchiveSessionName(string configuration, DateTimeOffset slot) =>
        Names.Bounded($"{configuration}-{slot.UtcDateTime:yyyyMMddHHmm}-archive", 63);
}
