using k8s.Models;
using Serverless.Backup.Core;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Schedules;

namespace Serverless.Backup.Control;

/// <summary>
/// The verification schedule of each BackupConfiguration with spec.verification (default weekly): a verify
/// MaintenanceSession per slot, named deterministically, so that a duplicate firing or a second instance makes
/// one session. Reconcile runs it beside backups but never beside an exclusive task or another verify of the
/// same repository.
/// </summary>
public sealed partial class MaintenanceScheduler
{
    /// <summary>Creates the verify sessions that are due; the configurations it could not handle are in the report.</summary>
    private async Task<(int Created, int Existing, int Seen)> VerifyTickAsync(TickReport report, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var configurations = await cluster.ListAsync<BackupConfiguration>(null, null, cancellationToken);
        int created = 0, existing = 0;
        var due = configurations.Where(c => c.Spec.Verification is { Paused: false }).ToList();
        await report.EachAsync(due, c => (c.Kind, c.Namespace, c.Name), async configuration =>
        {
            // An invalid configuration is reported by ScheduleTick, which owns its validity; here it only waits.
            if (VerificationScheduleOf(configuration) is not { } schedule)
            {
                return;
            }
            var slot = schedule.MostRecent(now, CheckStartingDeadline);
            if (slot is null || slot <= ControlPlane.Past(configuration.Status?.LastVerificationScheduleTime, now))
            {
                return;
            }
            var session = new MaintenanceSession
            {
                Metadata = new V1ObjectMeta { Name = VerifySessionName(configuration.Name, slot.Value), NamespaceProperty = configuration.Namespace },
                Spec = new MaintenanceSessionSpec
                {
                    Repository = new ObjectReference { Name = configuration.Spec.Repository.Name },
                    Task = MaintenanceTask.Verify,
                    Configuration = configuration.Name,
                    ScheduledFor = slot,
                },
            };
            if (await CreateAsync(session, cancellationToken))
            {
                created++;
            }
            else
            {
                existing++;
            }
            await StatusWriter.UpdateAsync(cluster, configuration, c =>
            {
                if (ControlPlane.Past(c.Status?.LastVerificationScheduleTime, now) >= slot)
                {
                    return false;
                }
                c.Status = (c.Status ?? new()) with { LastVerificationScheduleTime = slot };
                return true;
            }, cancellationToken);
        }, cancellationToken);
        return (created, existing, configurations.Count);
    }

    /// <summary>The verification schedule of a valid configuration (in its time zone, else the app's), or null.</summary>
    public BackupSchedule? VerificationScheduleOf(BackupConfiguration configuration)
    {
        if (configuration.Spec.Verification is not { } verification || ControlPlane.ProblemOf(configuration, settings.TimeZone, out _) is not null
            || ControlPlane.FeatureProblemsOf(configuration).Verification is not null)
        {
            return null;
        }
        return BackupSchedule.TryParse(verification.Schedule ?? VerificationSpec.DefaultSchedule, configuration.Spec.TimeZone ?? settings.TimeZone, out var schedule, out _) ? schedule : null;
    }

    /// <summary>The verify session of a schedule slot: the same configuration and slot always give the same name.</summary>
    public static string VerifySessionName(string configuration, DateTimeOffset slot) =>
        Names.Bounded($"{configuration}-verify-{slot.UtcDateTime:yyyyMMddHHmm}", 63);
}
