using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Backup.Core;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Schedules;
using Serverless.Backup.Control.Cluster;
using Serverless.Backup.Control.Observability;
using Serverless.Backup.Control.Settings;

namespace Serverless.Backup.Control;

/// <summary>
/// MaintenanceTick: the integrity check schedule of each Repository (spec.check, default weekly). Like
/// ScheduleTick it is idempotent: the session of a repository and slot has a deterministic name, so a duplicate
/// firing or a second instance makes one session (409 means it exists); after downtime only the most recent
/// missed slot runs, within <see cref="CheckStartingDeadline"/>. The verification schedules of BackupConfigurations
/// work the same way (MaintenanceScheduler.Verify.cs). Two list calls (Repositories, BackupConfigurations) a tick.
/// </summary>
public sealed partial class MaintenanceScheduler(IClusterGateway cluster, AppSettings settings, TimeProvider clock, ControlPlaneMetrics? metrics = null, ILogger? log = null,
    SessionTelemetry? telemetry = null)
{
    private readonly ILogger _log = log ?? NullLogger.Instance;

    /// <summary>A weekly check missed by more than this (the app was down) waits for the next slot.</summary>
    public static readonly TimeSpan CheckStartingDeadline = TimeSpan.FromHours(6);

    public async Task<string> MaintenanceTickAsync(CancellationToken cancellationToken)
    {
        using var timer = metrics?.TimeTick("MaintenanceTick");
        var report = new TickReport("MaintenanceTick", _log);
        var now = clock.GetUtcNow();
        var repositories = await cluster.ListAsync<Repository>(null, null, cancellationToken);
        report.Report(repositories.Unreadable);
        int created = 0, existing = 0;
        // Each repository on its own: one that is invalid or fails is reported and the others go on.
        await report.EachAsync(repositories, r => (r.Kind, r.Namespace, r.Name), async repository =>
        {
            var check = repository.Spec.Check ?? new CheckSpec();
            var problem = ProblemOf(repository, out var schedule);
            await SetValidityAsync(repository, problem, now, cancellationToken);
            if (problem is not null)
            {
                report.Report(new InvalidResource(repository.Kind, repository.Namespace, repository.Name, problem), new LogFields { Repository = repository.Name });
                return;
            }
            if (check.Paused)
            {
                return;
            }
            var slot = schedule!.MostRecent(now, CheckStartingDeadline);
            if (slot is null || slot <= ControlPlane.Past(repository.Status?.LastCheckScheduleTime, now))
            {
                return;
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
                if (ControlPlane.Past(r.Status?.LastCheckScheduleTime, now) >= slot)
                {
                    return false;
                }
                r.Status = (r.Status ?? new()) with { LastCheckScheduleTime = slot };
                return true;
            }, cancellationToken);
        }, cancellationToken);
        var verify = await VerifyTickAsync(report, now, cancellationToken);
        return report.Finish($"{repositories.Count + repositories.Unreadable.Count} repositories seen, {created} check sessions created, {existing} existed; "
            + $"{verify.Seen} configurations seen, {verify.Created} verify sessions created, {verify.Existing} existed");
    }

    /// <summary>What is wrong with the repository's check schedule (the field and the fix), or null; the schedule when valid.</summary>
    public string? ProblemOf(Repository repository, out BackupSchedule? schedule)
    {
        var check = repository.Spec.Check ?? new CheckSpec();
        var errors = ResourceValidation.ValidateCheck(repository);
        schedule = null;
        if (errors.Count == 0 && !BackupSchedule.TryParse(check.Schedule ?? CheckSpec.DefaultSchedule, check.TimeZone ?? settings.TimeZone, out schedule, out var error))
        {
            errors.Add(error!.Replace("spec.", "spec.check.", StringComparison.Ordinal));
        }
        return errors.Count == 0 ? null : string.Join("; ", errors);
    }

    /// <summary>Writes phase Ready or Invalid and the Valid condition, when they change.</summary>
    private async Task SetValidityAsync(Repository repository, string? problem, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var phase = problem is null ? ResourcePhase.Ready : ResourcePhase.Invalid;
        if (repository.Status?.Phase == phase && ResourceCondition.Says(repository.Status.Conditions, problem))
        {
            return;
        }
        await StatusWriter.UpdateAsync(cluster, repository, r =>
        {
            if (r.Status?.Phase == phase && ResourceCondition.Says(r.Status.Conditions, problem))
            {
                return false;
            }
            r.Status = (r.Status ?? new()) with { Phase = phase, Conditions = ResourceCondition.ValidityOf(problem, r.Status?.Conditions, now) };
            return true;
        }, cancellationToken);
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
        SessionTelemetry.StampOperation(session.Metadata);
        if (!await cluster.TryCreateAsync(session, cancellationToken))
        {
            return false;
        }
        await StatusWriter.UpdateAsync(cluster, session, s =>
        {
            s.Status ??= new SessionStatus { Phase = SessionPhase.Pending };
            return true;
        }, cancellationToken);
        telemetry?.Created(session, new SessionStatus { Phase = SessionPhase.Pending });
        using (_log.BeginScope(new LogFields
        {
            Namespace = session.Namespace, Repository = session.Spec.Repository.Name, Kind = session.Kind, Session = session.Name,
            Configuration = session.Spec.Configuration, Phase = SessionPhase.Pending,
        }))
        {
            _log.MaintenanceSessionCreated(session.Kind, session.Name, session.Spec.Task);
        }
        return true;
    }
}
