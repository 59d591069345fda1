using k8s.Models;
using Serverless.Backup.Core;
using Serverless.Backup.Core.Resources;
using Serverless.Backup.Core.Schedules;
using Serverless.Backup.Functions.Cluster;
using Serverless.Backup.Functions.Observability;
using Serverless.Backup.Functions.Settings;

namespace Serverless.Backup.Functions.Control;

/// <summary>
/// MaintenanceTick: the integrity check schedule of each Repository (spec.check, default weekly). Like
/// ScheduleTick it is idempotent: the session of a repository and slot has a deterministic name, so a duplicate
/// firing or a second instance makes one session (409 means it exists); after downtime only the most recent
/// missed slot runs, within <see cref="CheckStartingDeadline"/>. One list call (Repositories) a tick.
/// </summary>
public sealed class MaintenanceScheduler(IClusterGateway cluster, AppSettings settings, TimeProvider clock, ControlPlaneMetrics? metrics = null, JsonLog? log = null)
{
    /// <summary>A weekly check missed by more than this (the app was down) waits for the next slot.</summary>
    public static readonly TimeSpan CheckStartingDeadline = TimeSpan.FromHours(6);

    public async Task<string> MaintenanceTickAsync(CancellationToken cancellationToken)
    {
        using var timer = metrics?.TimeTick("MaintenanceTick");
        var now = clock.GetUtcNow();
        var repositories = await cluster.ListAsync<Repository>(null, null, cancellationToken);
        int created = 0, existing = 0, invalid = 0;
        foreach (var repository in repositories)
        {
            var check = repository.Spec.Check ?? new CheckSpec();
            if (check.Paused)
            {
                continue;
            }
            var fields = new LogFields { Namespace = repository.Namespace, Repository = repository.Name, Function = "MaintenanceTick" };
            if (ResourceValidation.ValidateCheck(repository) is { Count: > 0 } errors
                || !BackupSchedule.TryParse(check.Schedule ?? CheckSpec.DefaultSchedule, check.TimeZone ?? settings.TimeZone, out var schedule, out _))
            {
                invalid++;
                (log ?? JsonLog.None).Error($"Repository {repository.Namespace}/{repository.Name} has an invalid check schedule: {string.Join("; ", ResourceValidation.ValidateCheck(repository))}", fields);
                continue;
            }
            var slot = schedule!.MostRecent(now, CheckStartingDeadline);
            if (slot is null || slot <= repository.Status?.LastCheckScheduleTime)
            {
                continue;
            }
            var session = new MaintenanceSession
            {
                Metadata = new V1ObjectMeta { Name = CheckSessionName(repository.Name, slot.Value), NamespaceProperty = repository.Namespace },
                Spec = new MaintenanceSessionSpec
                {
                    Repository = new ObjectReference { Name = repository.Name },
                    Task = MaintenanceTask.Check,
                    ReadDataSubset = check.ReadDataSubset,
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
            await StatusWriter.UpdateAsync(cluster, repository, r =>
            {
                if (r.Status?.LastCheckScheduleTime >= slot)
                {
                    return false;
                }
                r.Status = (r.Status ?? new()) with { LastCheckScheduleTime = slot };
                return true;
            }, cancellationToken);
        }
        return $"MaintenanceTick: {repositories.Count} repositories seen, {created} check sessions created, {existing} existed, {invalid} failed (invalid check schedule)";
    }

    /// <summary>The check session of a schedule slot: the same repository and slot always give the same name.</summary>
    public static string CheckSessionName(string repository, DateTimeOffset slot) =>
        Names.Bounded($"{repository}-check-{slot.UtcDateTime:yyyyMMddHHmm}", 63);

    /// <summary>Creates a MaintenanceSession as Pending (labelled with its repository); false when one of that name exists.</summary>
    public async Task<bool> CreateAsync(MaintenanceSession session, CancellationToken cancellationToken)
    {
        session.Metadata.Labels ??= new Dictionary<string, string>();
        session.Metadata.Labels[Api.RepositoryLabel] = session.Spec.Repository.Name ?? "";
        if (session.Spec.Configuration is { } configuration)
        {
            session.Metadata.Labels[Api.ConfigurationLabel] = configuration;
        }
        if (!await cluster.TryCreateAsync(session, cancellationToken))
        {
            return false;
        }
        await StatusWriter.UpdateAsync(cluster, session, s =>
        {
            s.Status ??= new SessionStatus { Phase = SessionPhase.Pending };
            return true;
        }, cancellationToken);
        (log ?? JsonLog.None).Info($"MaintenanceSession {session.Name} created ({session.Spec.Task})", new LogFields
        {
            Namespace = session.Namespace, Repository = session.Spec.Repository.Name, Kind = session.Kind, Session = session.Name,
            Configuration = session.Spec.Configuration, Phase = SessionPhase.Pending,
        });
        return true;
    }
}
