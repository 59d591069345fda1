using Serverless.Backup.Core.Resources;
using Serverless.Backup.Core.Schedules;

namespace Serverless.Backup.Functions.Schedules;

/// <summary>
/// The pure part of ScheduleTick: from one list of configurations and one list of sessions, decide what to create
/// and delete. Session names are deterministic (configuration + UTC slot), so two ticks of the same slot plan the
/// same name and the API server's 409 keeps it to one session.
/// </summary>
public static class SchedulePlanner
{
    /// <summary>A missed slot older than this is not run (BackupConfiguration.spec.startingDeadlineSeconds overrides it).</summary>
    public static readonly TimeSpan DefaultStartingDeadline = TimeSpan.FromMinutes(5);

    public static TickPlan Plan(IReadOnlyList<BackupConfiguration> configurations, IReadOnlyList<BackupSession> sessions, DateTimeOffset now, string defaultTimeZone)
    {
        var existing = new HashSet<(string, string)>();
        var activeByRepository = new Dictionary<(string Namespace, string Repository), BackupSession>();
        var byConfiguration = new Dictionary<(string, string), List<BackupSession>>();
        foreach (var session in sessions)
        {
            var ns = session.Metadata.NamespaceProperty ?? "default";
            existing.Add((ns, session.Metadata.Name));
            if (SessionPhase.IsActive(session.Status?.Phase) && Label(session, ResourceGroup.RepositoryLabel) is { } repository)
            {
                activeByRepository.TryAdd((ns, repository), session);
            }
            var configuration = Label(session, ResourceGroup.ConfigurationLabel) ?? session.Spec.Invoker.Name;
            if (!byConfiguration.TryGetValue((ns, configuration), out var list))
            {
                byConfiguration[(ns, configuration)] = list = [];
            }
            list.Add(session);
        }

        var toCreate = new List<BackupSession>();
        var toDelete = new List<BackupSession>();
        var notes = new List<ConfigurationNote>(configurations.Count);
        foreach (var configuration in configurations)
        {
            var ns = configuration.Metadata.NamespaceProperty ?? "default";
            if (byConfiguration.TryGetValue((ns, configuration.Metadata.Name), out var own))
            {
                toDelete.AddRange(own
                    .Where(s => SessionPhase.IsFinal(s.Status?.Phase))
                    .OrderByDescending(s => s.Metadata.CreationTimestamp ?? DateTime.MinValue)
                    .ThenByDescending(s => s.Metadata.Name, StringComparer.Ordinal)
                    .Skip(Math.Max(0, configuration.Spec.BackupHistoryLimit)));
            }

            CronSchedule schedule;
            try
            {
                schedule = CronSchedule.Parse(configuration.Spec.Schedule, configuration.Spec.TimeZone ?? defaultTimeZone);
            }
            catch (ScheduleException e)
            {
                notes.Add(new ConfigurationNote(configuration, null, $"BackupConfiguration {ns}/{configuration.Metadata.Name}: {e.Message}"));
                continue;
            }
            notes.Add(new ConfigurationNote(configuration, schedule.Next(now), null));
            if (configuration.Spec.Paused)
            {
                continue;
            }
            var deadline = configuration.Spec.StartingDeadlineSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : DefaultStartingDeadline;
            var notBefore = now - deadline;
            if (configuration.Status?.LastScheduleTime is { } last && last > notBefore)
            {
                notBefore = last;
            }
            if (schedule.LatestDue(notBefore, now) is not { } slot)
            {
                continue;
            }
            var name = SessionNames.ForSlot(configuration.Metadata.Name, slot);
            if (existing.Contains((ns, name)))
            {
                continue;
            }
            var session = NewSession(configuration, name, slot, "schedule");
            var repositoryKey = (ns, configuration.Spec.Repository.Name);
            if (activeByRepository.TryGetValue(repositoryKey, out var busy))
            {
                session.Status = new SessionStatus
                {
                    Phase = SessionPhase.Skipped,
                    Reason = "RepositoryBusy",
                    Message = $"Repository {configuration.Spec.Repository.Name} is in use by session {busy.Metadata.Name}; this slot was skipped",
                    CompletionTime = now,
                };
            }
            else
            {
                activeByRepository[repositoryKey] = session;
            }
            existing.Add((ns, name));
            toCreate.Add(session);
        }
        return new TickPlan(toCreate, toDelete, notes);
    }

    /// <summary>A new session of <paramref name="configuration"/>, labelled for list selectors and owned by nothing (history is trimmed by the tick).</summary>
    public static BackupSession NewSession(BackupConfiguration configuration, string name, DateTimeOffset? slot, string trigger) => new()
    {
        Metadata = new k8s.Models.V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = configuration.Metadata.NamespaceProperty ?? "default",
            Labels = new Dictionary<string, string>
            {
                [ResourceGroup.ConfigurationLabel] = configuration.Metadata.Name,
                [ResourceGroup.RepositoryLabel] = configuration.Spec.Repository.Name,
            },
        },
        Spec = new BackupSessionSpec
        {
            Invoker = new SessionInvoker { Name = configuration.Metadata.Name },
            ScheduledTime = slot,
            Trigger = trigger,
        },
    };

    private static string? Label(BackupSession session, string key) =>
        session.Metadata.Labels is { } labels && labels.TryGetValue(key, out var value) ? value : null;
}
