using k8s.Models;
using Serverless.Backup.Core;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Schedules;
using Serverless.Backup.Control.Cluster;
using Serverless.Backup.Control.Observability;

namespace Serverless.Backup.Control;

/// <summary>ScheduleTick: the BackupSessions that are due, one per configuration and slot.</summary>
public sealed partial class ControlPlane
{
    /// <summary>A missed slot older than this is not run after downtime, unless the configuration says otherwise.</summary>
    public static readonly TimeSpan DefaultStartingDeadline = TimeSpan.FromMinutes(10);

    private sealed record Due(BackupConfiguration Configuration, DateTimeOffset Slot, BackupSchedule Schedule)
    {
        public string Repository => Configuration.Spec.Repository.Name!;
    }

    /// <summary>
    /// Creates the BackupSessions that are due. Each configuration is validated and processed on its own: an
    /// invalid one gets phase Invalid and a Valid=False condition naming the field, and is skipped; one that fails
    /// for any other reason is logged and the others go on. Only the two list calls can fail the tick itself.
    /// </summary>
    public async Task<string> ScheduleTickAsync(CancellationToken cancellationToken)
    {
        using var timer = metrics?.TimeTick("ScheduleTick");
        var report = new TickReport("ScheduleTick", Log);
        var now = clock.GetUtcNow();
        var configurations = await cluster.ListAsync<BackupConfiguration>(null, null, cancellationToken);
        var sessions = (await cluster.ListAsync<BackupSession>(null, null, cancellationToken)).ToList();
        report.Report(configurations.Unreadable);
        var due = new List<Due>();
        var archives = new List<(BackupConfiguration Configuration, DateTimeOffset Slot)>();
        await report.EachAsync(configurations, Identify, async configuration =>
        {
            var problem = ProblemOf(configuration, out var schedule);
            await SetValidityAsync(configuration, problem, cancellationToken);
            if ((problem ?? FeatureProblemOf(configuration)) is { } reported)
            {
                report.Report(new InvalidResource(configuration.Kind, configuration.Namespace, configuration.Name, reported), new LogFields { Configuration = configuration.Name });
            }
            if (problem is not null || configuration.Spec.Paused)
            {
                return;
            }
            if (ArchiveDue(configuration, now) is { } archiveSlot)
            {
                archives.Add((configuration, archiveSlot));
            }
            var window = TimeSpan.FromSeconds(configuration.Spec.StartingDeadlineSeconds ?? DefaultStartingDeadline.TotalSeconds);
            // After downtime only the most recent missed slot runs, and only within the starting deadline.
            if (schedule!.MostRecent(now, window) is { } slot && !(slot <= Past(configuration.Status?.LastScheduleTime, now)))
            {
                due.Add(new Due(configuration, slot, schedule));
            }
        }, cancellationToken);

        int created = 0, skipped = 0;
        // Configurations that share a repository and a slot: the first by name runs and the others are Skipped
        // naming it. Every instance decides the same way, so ticks that collide never leave two Pending.
        var ordered = due.OrderBy(d => d.Configuration.Namespace, StringComparer.Ordinal).ThenBy(d => d.Configuration.Name, StringComparer.Ordinal).ToList();
        await report.EachAsync(ordered, d => Identify(d.Configuration), async d =>
        {
            var first = ordered.First(o => o.Configuration.Namespace == d.Configuration.Namespace && o.Repository == d.Repository && o.Slot == d.Slot);
            var sibling = ReferenceEquals(first, d) ? null : SessionName(first.Configuration.Name, first.Slot);
            var outcome = await StartSessionAsync(d.Configuration, SessionName(d.Configuration.Name, d.Slot), d.Slot, sessions, cancellationToken, sibling);
            created += outcome == SessionStart.Created ? 1 : 0;
            skipped += outcome == SessionStart.Skipped ? 1 : 0;
            await StatusWriter.UpdateAsync(cluster, d.Configuration, c =>
            {
                // Another instance may have written this slot already: then there is nothing to write.
                if (Past(c.Status?.LastScheduleTime, now) >= d.Slot)
                {
                    return false;
                }
                c.Status = (c.Status ?? new()) with { LastScheduleTime = d.Slot, NextScheduleTime = d.Schedule.Next(now) };
                return true;
            }, cancellationToken);
            await TrimHistoryAsync(d.Configuration, sessions, cancellationToken);
        }, cancellationToken);
        var archived = await ArchiveTickAsync(report, archives, now, cancellationToken);
        report.Skipped = skipped;
        return report.Finish($"{configurations.Count + configurations.Unreadable.Count} configurations seen, {created} sessions created, {skipped} skipped, {archived} archive sessions created");
    }

    /// <summary>
    /// A recorded slot, unless it lies in the future: no slot can, so one there was written by hand or by a broken
    /// clock, and trusting it would stop the schedule until that day.
    /// </summary>
    internal static DateTimeOffset? Past(DateTimeOffset? recorded, DateTimeOffset now) => recorded > now ? null : recorded;

    private static (string, string, string) Identify(BackupConfiguration configuration) => (configuration.Kind, configuration.Namespace, configuration.Name);

    /// <summary>What is wrong with the configuration (each field and its fix), or null; the schedule when it is valid.</summary>
    private string? ProblemOf(BackupConfiguration configuration, out BackupSchedule? schedule) => ProblemOf(configuration, settings.TimeZone, out schedule);

    /// <summary>What is wrong with the configuration, with the app's default time zone; null when it is valid.</summary>
    public static string? ProblemOf(BackupConfiguration configuration, string? defaultTimeZone, out BackupSchedule? schedule)
    {
        var errors = ResourceValidation.Validate(configuration);
        schedule = null;
        if (errors.Count == 0 && !BackupSchedule.TryParse(configuration.Spec.Schedule, configuration.Spec.TimeZone ?? defaultTimeZone, out schedule, out var error))
        {
            // The app's default time zone (BACKUP_TIME_ZONE) applies where the configuration names none.
            errors.Add(error!);
        }
        return errors.Count == 0 ? null : string.Join("; ", errors);
    }

    /// <summary>The optional parts' problems as one message naming each part, or null when they are valid.</summary>
    public static string? FeatureProblemOf(BackupConfiguration configuration)
    {
        var (verification, pointInTime) = FeatureProblemsOf(configuration);
        var parts = new[] { verification, pointInTime }.OfType<string>().ToList();
        return parts.Count == 0 ? null : string.Join("; ", parts) + " (only this part is stopped; backups go on)";
    }

    /// <summary>
    /// What is wrong with the optional parts of a configuration, each stopping only its own feature:
    /// spec.verification (verification) and spec.pointInTime (archiving and point-in-time restores). Null where
    /// the part is absent or valid.
    /// </summary>
    public static (string? Verification, string? PointInTime) FeatureProblemsOf(BackupConfiguration configuration)
    {
        var verification = ResourceValidation.ValidateVerification(configuration.Spec);
        var pointInTime = ResourceValidation.ValidatePointInTime(configuration.Spec);
        return (verification.Count == 0 ? null : string.Join("; ", verification), pointInTime.Count == 0 ? null : string.Join("; ", pointInTime));
    }

    /// <summary>
    /// Writes phase Ready or Invalid, the Valid condition and status.error, and the VerificationValid and
    /// PointInTimeValid conditions of the optional parts (present only while the part is), when they change.
    /// </summary>
    private async Task SetValidityAsync(BackupConfiguration configuration, string? problem, CancellationToken cancellationToken)
    {
        var wantedPhase = problem is null ? ResourcePhase.Ready : ResourcePhase.Invalid;
        var (verification, pointInTime) = FeatureProblemsOf(configuration);
        bool Holds(BackupConfiguration c) =>
            c.Status?.Phase == wantedPhase && c.Status.Error == problem && ResourceCondition.Says(c.Status.Conditions, problem)
            && FeatureHolds(c, ResourceCondition.VerificationValid, c.Spec.Verification is not null, verification)
            && FeatureHolds(c, ResourceCondition.PointInTimeValid, c.Spec.PointInTime is not null, pointInTime);
        if (Holds(configuration))
        {
            return;
        }
        var now = clock.GetUtcNow();
        await StatusWriter.UpdateAsync(cluster, configuration, c =>
        {
            if (Holds(c))
            {
                return false;
            }
            var conditions = ResourceCondition.ValidityOf(problem, c.Status?.Conditions, now);
            conditions = c.Spec.Verification is not null
                ? ResourceCondition.ValidityOf(ResourceCondition.VerificationValid, verification, conditions, now)
                : ResourceCondition.Without(ResourceCondition.VerificationValid, conditions);
            conditions = c.Spec.PointInTime is not null
                ? ResourceCondition.ValidityOf(ResourceCondition.PointInTimeValid, pointInTime, conditions, now)
                : ResourceCondition.Without(ResourceCondition.PointInTimeValid, conditions);
            c.Status = (c.Status ?? new()) with { Phase = wantedPhase, Error = problem, Conditions = conditions };
            return true;
        }, cancellationToken);
    }

    private static bool FeatureHolds(BackupConfiguration c, string type, bool present, string? problem) =>
        present ? ResourceCondition.Says(type, c.Status?.Conditions, problem) : c.Status?.Conditions?.Any(x => x.Type == type) != true;

    /// <summary>The session of a schedule slot: the same configuration and slot always give the same name.</summary>
    public static string SessionName(string configuration, DateTimeOffset slot) =>
        Names.Bounded($"{configuration}-{slot.UtcDateTime:yyyyMMddHHmm}", 63);

    public enum SessionStart
    {
        Created,
        Skipped,
        Exists,
    }

    /// <summary>
    /// Creates a BackupSession; Skipped (with the reason) when another session of the repository is active, or
    /// when <paramref name="sibling"/> (the session of another configuration of the same repository and slot)
    /// goes first.
    /// </summary>
    public async Task<SessionStart> StartSessionAsync(
        BackupConfiguration configuration, string name, DateTimeOffset? slot, List<BackupSession> sessions, CancellationToken cancellationToken, string? sibling = null)
    {
        var repository = configuration.Spec.Repository.Name!;
        var busy = sessions.FirstOrDefault(s => s.Namespace == configuration.Namespace && s.Name != name
            && Label(s, Api.RepositoryLabel) == repository && !SessionPhase.IsFinished(s.Status?.Phase));
        var reason = sibling is not null
            ? $"session {sibling} of repository {repository} is due at the same time and goes first: one backup per repository at a time"
            : busy is not null
                ? $"session {busy.Name} of repository {repository} is still {busy.Status?.Phase ?? SessionPhase.Pending}: one backup per repository at a time"
                : null;
        var session = new BackupSession
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = configuration.Namespace,
                Labels = new Dictionary<string, string> { [Api.ConfigurationLabel] = configuration.Name, [Api.RepositoryLabel] = repository },
            },
            Spec = new BackupSessionSpec { Invoker = new Invoker { Name = configuration.Name }, ScheduledFor = slot },
        };
        // The operation creating it (the timer's invocation, the HTTP request) is the session's, to its end.
        SessionTelemetry.StampOperation(session.Metadata);
        if (!await cluster.TryCreateAsync(session, cancellationToken))
        {
            // Another instance created it: it counts as active for the configurations after this one.
            if (!sessions.Any(s => s.Namespace == configuration.Namespace && s.Name == name)
                && await cluster.GetAsync<BackupSession>(configuration.Namespace, name, cancellationToken) is { } existing)
            {
                sessions.Add(existing);
            }
            return SessionStart.Exists;
        }
        var now = clock.GetUtcNow();
        // Sessions created in this pass count as active for the ones after them.
        sessions.Add(session);
        var first = reason is null
            ? new SessionStatus { Phase = SessionPhase.Pending }
            : new SessionStatus { Phase = SessionPhase.Skipped, Reason = "RepositoryBusy", CompletionTime = now, Message = reason };
        await StatusWriter.UpdateAsync(cluster, session, s =>
        {
            // Only the first status: Reconcile may already have started a session that no other says is busy.
            if (s.Status?.Phase is not null)
            {
                return false;
            }
            s.Status = first;
            return true;
        }, cancellationToken);
        Telemetry.Created(session, first);
        var fields = new LogFields { Namespace = configuration.Namespace, Configuration = configuration.Name, Repository = repository, Kind = session.Kind, Session = name };
        using (Log.BeginScope(reason is null ? fields with { Phase = SessionPhase.Pending } : fields with { Phase = SessionPhase.Skipped, Reason = "RepositoryBusy" }))
        {
            if (reason is null)
            {
                Log.SessionCreated(session.Kind, name);
            }
            else
            {
                Log.SessionSkipped(session.Kind, name, reason);
            }
        }
        return reason is null ? SessionStart.Created : SessionStart.Skipped;
    }

    private async Task TrimHistoryAsync(BackupConfiguration configuration, List<BackupSession> sessions, CancellationToken cancellationToken)
    {
        var finished = sessions
            .Where(s => s.Namespace == configuration.Namespace && Label(s, Api.ConfigurationLabel) == configuration.Name && SessionPhase.IsFinished(s.Status?.Phase))
            .OrderByDescending(s => s.Metadata.CreationTimestamp)
            .ThenByDescending(s => s.Name, StringComparer.Ordinal)
            .Skip(configuration.Spec.BackupHistoryLimit)
            .ToList();
        foreach (var old in finished)
        {
            await cluster.DeleteAsync<BackupSession>(old.Namespace, old.Name, cancellationToken);
            sessions.Remove(old);
        }
    }
}
