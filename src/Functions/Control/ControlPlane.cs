using k8s;
using k8s.Models;
using Serverless.Backup.Core;
using Serverless.Backup.Core.Resources;
using Serverless.Backup.Core.Schedules;
using Serverless.Backup.Core.Webhook;
using Serverless.Backup.Functions.Cluster;
using Serverless.Backup.Functions.Jobs;
using Serverless.Backup.Functions.Observability;
using Serverless.Backup.Functions.Settings;

namespace Serverless.Backup.Functions.Control;

/// <summary>
/// The timer functions: ScheduleTick creates due BackupSessions, Reconcile gives Pending sessions their Job and
/// settles sessions whose Job failed, ran past its deadline or disappeared. Both are idempotent: a duplicate
/// firing, or two app instances, change nothing twice (deterministic names, 409 means it exists).
/// </summary>
public sealed class ControlPlane(
    IClusterGateway cluster, AppSettings settings, RunnerJobOptions jobOptions, TimeProvider clock, ControlPlaneMetrics? metrics = null, JsonLog? log = null)
{
    /// <summary>A missed slot older than this is not run after downtime, unless the configuration says otherwise.</summary>
    public static readonly TimeSpan DefaultStartingDeadline = TimeSpan.FromMinutes(10);

    public async Task<string> ScheduleTickAsync(CancellationToken cancellationToken)
    {
        using var timer = metrics?.TimeTick("ScheduleTick");
        var now = clock.GetUtcNow();
        var configurations = await cluster.ListAsync<BackupConfiguration>(null, null, cancellationToken);
        var sessions = (await cluster.ListAsync<BackupSession>(null, null, cancellationToken)).ToList();
        int created = 0, skipped = 0, failed = 0;
        foreach (var configuration in configurations)
        {
            var errors = ResourceValidation.Validate(configuration);
            if (errors.Count > 0)
            {
                failed++;
                (log ?? JsonLog.None).Error($"BackupConfiguration {configuration.Namespace}/{configuration.Name} is invalid: {string.Join("; ", errors)}",
                    new LogFields { Namespace = configuration.Namespace, Configuration = configuration.Name, Function = "ScheduleTick" });
                await SetConfigurationErrorAsync(configuration, string.Join("; ", errors), cancellationToken);
                continue;
            }
            if (configuration.Spec.Paused)
            {
                continue;
            }
            BackupSchedule.TryParse(configuration.Spec.Schedule, configuration.Spec.TimeZone ?? settings.TimeZone, out var schedule, out _);
            var window = TimeSpan.FromSeconds(configuration.Spec.StartingDeadlineSeconds ?? DefaultStartingDeadline.TotalSeconds);
            // After downtime only the most recent missed slot runs, and only within the starting deadline.
            var slot = schedule!.MostRecent(now, window);
            if (slot is null || slot <= configuration.Status?.LastScheduleTime)
            {
                continue;
            }
            var outcome = await StartSessionAsync(configuration, SessionName(configuration.Name, slot.Value), slot, sessions, cancellationToken);
            created += outcome == SessionStart.Created ? 1 : 0;
            skipped += outcome == SessionStart.Skipped ? 1 : 0;
            await StatusWriter.UpdateAsync(cluster, configuration, c =>
            {
                c.Status = (c.Status ?? new()) with { LastScheduleTime = slot, NextScheduleTime = schedule.Next(now), Error = null };
                return true;
            }, cancellationToken);
            await TrimHistoryAsync(configuration, sessions, cancellationToken);
        }
        return $"ScheduleTick: {configurations.Count} configurations seen, {created} sessions created, {skipped} skipped, {failed} failed (invalid)";
    }

    /// <summary>The session of a schedule slot: the same configuration and slot always give the same name.</summary>
    public static string SessionName(string configuration, DateTimeOffset slot) =>
        Names.Bounded($"{configuration}-{slot.UtcDateTime:yyyyMMddHHmm}", 63);

    public enum SessionStart
    {
        Created,
        Skipped,
        Exists,
    }

    /// <summary>Creates a BackupSession; Skipped (with the reason) when another session of the repository is active.</summary>
    public async Task<SessionStart> StartSessionAsync(
        BackupConfiguration configuration, string name, DateTimeOffset? slot, List<BackupSession> sessions, CancellationToken cancellationToken)
    {
        var repository = configuration.Spec.Repository.Name!;
        var busy = sessions.FirstOrDefault(s => s.Namespace == configuration.Namespace && s.Name != name
            && Label(s, Api.RepositoryLabel) == repository && !SessionPhase.IsFinished(s.Status?.Phase));
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
        if (!await cluster.TryCreateAsync(session, cancellationToken))
        {
            return SessionStart.Exists;
        }
        var now = clock.GetUtcNow();
        // Sessions created in this pass count as active for the ones after them.
        sessions.Add(session);
        await StatusWriter.UpdateAsync(cluster, session, s =>
        {
            s.Status = busy is null
                ? new SessionStatus { Phase = SessionPhase.Pending }
                : new SessionStatus
                {
                    Phase = SessionPhase.Skipped, Reason = "RepositoryBusy", CompletionTime = now,
                    Message = $"session {busy.Name} of repository {repository} is still {busy.Status?.Phase ?? SessionPhase.Pending}: one backup per repository at a time",
                };
            return true;
        }, cancellationToken);
        var fields = new LogFields { Namespace = configuration.Namespace, Configuration = configuration.Name, Repository = repository, Kind = session.Kind, Session = name };
        if (busy is null)
        {
            (log ?? JsonLog.None).Info($"BackupSession {name} created", fields with { Phase = SessionPhase.Pending });
        }
        else
        {
            (log ?? JsonLog.None).Warning($"BackupSession {name} skipped: session {busy.Name} of repository {repository} is still active", fields with { Phase = SessionPhase.Skipped, Reason = "RepositoryBusy" });
        }
        return busy is null ? SessionStart.Created : SessionStart.Skipped;
    }

    private async Task TrimHistoryAsync(BackupConfiguration configuration, List<BackupSession> sessions, CancellationToken cancellationToken)
    {
        var finished = sessions
            .Where(s => s.Namespace == configuration.Namespace && Label(s, Api.ConfigurationLabel) == configuration.Name && SessionPhase.IsFinished(s.Status?.Phase))
            .OrderByDescending(s => s.Metadata.CreationTimestamp)
            .ThenByDescending(s => s.Name, StringComparer.Ordinal)
            .Skip(configuration.Spec.BackupHistoryLimit);
        foreach (var old in finished)
        {
            await cluster.DeleteAsync<BackupSession>(old.Namespace, old.Name, cancellationToken);
        }
    }

    private async Task SetConfigurationErrorAsync(BackupConfiguration configuration, string error, CancellationToken cancellationToken)
    {
        if (configuration.Status?.Error == error)
        {
            return;
        }
        await StatusWriter.UpdateAsync(cluster, configuration, c =>
        {
            c.Status = (c.Status ?? new()) with { Error = error };
            return true;
        }, cancellationToken);
    }

    private static string? Label(k8s.IKubernetesObject<V1ObjectMeta> resource, string key) =>
        resource.Metadata.Labels is { } labels && labels.TryGetValue(key, out var value) ? value : null;

    /// <summary>
    /// Gives Pending sessions their Job and settles Running sessions whose Job ended without a report. One
    /// exclusive job per repository: a maintenance session waits (Pending, with a message naming the busy session)
    /// while any other session of its repository runs; a backup whose repository is under maintenance is Skipped
    /// (RepositoryBusy); a restore waits for the maintenance to end (restic's shared locks let restores and
    /// backups run side by side, but check, forget and unlock need the repository alone).
    /// </summary>
    public async Task<string> ReconcileAsync(CancellationToken cancellationToken)
    {
        using var timer = metrics?.TimeReconcile();
        var sessions = new List<IKubernetesObject<V1ObjectMeta>>();
        sessions.AddRange(await cluster.ListAsync<BackupSession>(null, null, cancellationToken));
        sessions.AddRange(await cluster.ListAsync<RestoreSession>(null, null, cancellationToken));
        sessions.AddRange(await cluster.ListAsync<MaintenanceSession>(null, null, cancellationToken));
        int started = 0, settled = 0, waiting = 0;
        var finished = new HashSet<IKubernetesObject<V1ObjectMeta>>(ReferenceEqualityComparer.Instance);
        // Running sessions first: one that ended frees its repository for the Pending ones.
        foreach (var session in sessions.Where(s => SessionAccess.StatusOf(s)?.Phase == SessionPhase.Running))
        {
            if (await SettleAsync(session, cancellationToken))
            {
                settled++;
                finished.Add(session);
            }
        }
        var running = sessions.Where(s => SessionAccess.StatusOf(s)?.Phase == SessionPhase.Running && !finished.Contains(s)).ToList();
        var pending = sessions
            .Where(s => SessionAccess.StatusOf(s)?.Phase is null or SessionPhase.Pending)
            .OrderBy(s => s.Metadata.CreationTimestamp ?? DateTime.MinValue).ThenBy(s => s.Metadata.Name, StringComparer.Ordinal)
            .ToList();
        // Maintenance that has waited longer than MaintenanceQueueGrace for its repository, by repository: it
        // holds its place, so that backups overlapping without a gap cannot keep it waiting for ever.
        var queued = new Dictionary<(string, string), IKubernetesObject<V1ObjectMeta>>();
        var now = clock.GetUtcNow();
        foreach (var session in pending)
        {
            var ns = SessionAccess.NamespaceOf(session);
            var repository = SessionAccess.RepositoryOf(session);
            var sameRepository = running.Where(r => repository is not null && SessionAccess.NamespaceOf(r) == ns && SessionAccess.RepositoryOf(r) == repository).ToList();
            var blocker = session is MaintenanceSession ? sameRepository.FirstOrDefault() : sameRepository.FirstOrDefault(r => r is MaintenanceSession);
            var queuedAhead = blocker is null && session is not MaintenanceSession && repository is not null && queued.TryGetValue((ns, repository), out var ahead) ? ahead : null;
            if ((blocker ?? queuedAhead) is { } busy)
            {
                if (session is BackupSession)
                {
                    await SkipAsync(session, repository!, busy, queuedAhead is not null, cancellationToken);
                    finished.Add(session);
                    settled++;
                }
                else
                {
                    await WaitAsync(session, repository!, busy, queuedAhead is not null, cancellationToken);
                    waiting++;
                }
                if (session is MaintenanceSession && now - (session.Metadata.CreationTimestamp ?? now.UtcDateTime) >= MaintenanceQueueGrace)
                {
                    queued.TryAdd((ns, repository!), session);
                }
                continue;
            }
            // REPOSITORY_EXCLUSIVE: no other session of the repository is active, so any lock is a stale one.
            var exclusive = repository is not null && !sessions.Any(o => !ReferenceEquals(o, session) && !finished.Contains(o)
                && SessionAccess.NamespaceOf(o) == ns && SessionAccess.RepositoryOf(o) == repository && !SessionPhase.IsFinished(SessionAccess.StatusOf(o)?.Phase));
            if (await StartJobAsync(session, exclusive, cancellationToken))
            {
                started++;
                running.Add(session);
            }
            else
            {
                settled++;
                finished.Add(session);
            }
        }
        var trimmed = await TrimMaintenanceHistoryAsync(sessions.OfType<MaintenanceSession>(), cancellationToken);
        await UpdateConfigurationsAsync(cancellationToken);
        return $"Reconcile: {sessions.Count} sessions seen, {started} jobs started, {settled} sessions settled, {waiting} waiting for their repository, {trimmed} old maintenance sessions deleted";
    }

    /// <summary>
    /// How long a MaintenanceSession waits for its repository while new sessions still start beside the running
    /// ones. After that it holds its place: later backups of the repository are Skipped and later restores wait,
    /// so the sessions already running end and the maintenance gets its turn.
    /// </summary>
    public static readonly TimeSpan MaintenanceQueueGrace = TimeSpan.FromMinutes(30);

    /// <summary>Finished MaintenanceSessions kept per repository and task (a weekly check would otherwise pile up).</summary>
    public const int MaintenanceHistoryLimit = 3;

    private async Task<int> TrimMaintenanceHistoryAsync(IEnumerable<MaintenanceSession> sessions, CancellationToken cancellationToken)
    {
        var old = sessions
            .Where(s => SessionPhase.IsFinished(s.Status?.Phase))
            .GroupBy(s => (s.Namespace, SessionAccess.RepositoryOf(s), s.Spec.Task))
            .SelectMany(g => g.OrderByDescending(s => s.Metadata.CreationTimestamp).ThenByDescending(s => s.Name, StringComparer.Ordinal).Skip(MaintenanceHistoryLimit))
            .ToList();
        foreach (var session in old)
        {
            await cluster.DeleteAsync<MaintenanceSession>(session.Namespace, session.Name, cancellationToken);
        }
        return old.Count;
    }

    private static string Describe(IKubernetesObject<V1ObjectMeta> blocker, string repository, bool queued) => queued
        ? $"{SessionAccess.KindOf(blocker)} {blocker.Metadata.Name} of repository {repository} has waited more than {MaintenanceQueueGrace.TotalMinutes:0} minutes for the repository and goes first"
        : $"{SessionAccess.KindOf(blocker)} {blocker.Metadata.Name} of repository {repository} is Running";

    private async Task SkipAsync(IKubernetesObject<V1ObjectMeta> session, string repository, IKubernetesObject<V1ObjectMeta> blocker, bool queued, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var message = $"{Describe(blocker, repository, queued)}: a backup does not start while the repository is under maintenance";
        await SessionAccess.UpdateStatusAsync(cluster, session, st => SessionPhase.CanMove(st?.Phase, SessionPhase.Skipped)
            ? (st ?? new()) with { Phase = SessionPhase.Skipped, Reason = "RepositoryBusy", Message = message, CompletionTime = now }
            : null, cancellationToken);
        Log(session).Warning(message, Fields(session) with { Phase = SessionPhase.Skipped, Reason = "RepositoryBusy" });
    }

    private async Task WaitAsync(IKubernetesObject<V1ObjectMeta> session, string repository, IKubernetesObject<V1ObjectMeta> blocker, bool queued, CancellationToken cancellationToken)
    {
        var message = $"waiting: {Describe(blocker, repository, queued)}; this session starts when it ends";
        if (SessionAccess.StatusOf(session) is { Phase: SessionPhase.Pending } current && current.Message == message)
        {
            return;
        }
        await SessionAccess.UpdateStatusAsync(cluster, session, st => st?.Phase is null or SessionPhase.Pending
            ? (st ?? new()) with { Phase = SessionPhase.Pending, Reason = "RepositoryBusy", Message = message }
            : null, cancellationToken);
        Log(session).Info(message, Fields(session) with { Phase = SessionPhase.Pending, Reason = "RepositoryBusy" });
    }

    /// <summary>Creates the session's Secret and Job and marks it Running; or marks it Failed naming the field to fix (false).</summary>
    private async Task<bool> StartJobAsync(IKubernetesObject<V1ObjectMeta> session, bool exclusive, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var (job, problem) = await BuildJobAsync(session, exclusive, cancellationToken);
        if (job is null)
        {
            await SessionAccess.UpdateStatusAsync(cluster, session, st => SessionPhase.CanMove(st?.Phase, SessionPhase.Failed)
                ? (st ?? new()) with { Phase = SessionPhase.Failed, Reason = problem!.Value.Reason, Message = problem.Value.Message, CompletionTime = now }
                : null, cancellationToken);
            Log(session).Error(problem!.Value.Message, Fields(session) with { Phase = SessionPhase.Failed, Reason = problem.Value.Reason });
            return false;
        }
        await cluster.TryCreateJobAsync(job, cancellationToken);
        var deadline = now + TimeSpan.FromSeconds(job.Spec.ActiveDeadlineSeconds ?? 7200);
        await SessionAccess.UpdateStatusAsync(cluster, session, st => SessionPhase.CanMove(st?.Phase, SessionPhase.Running)
            ? (st ?? new()) with { Phase = SessionPhase.Running, Reason = null, Message = null, JobName = job.Metadata.Name, StartTime = st?.StartTime ?? now, SessionDeadline = deadline }
            : null, cancellationToken);
        Log(session).Info($"job {job.Metadata.Name} started ({job.Spec.Template.Spec.Containers[0].Args[0]}, exclusive {exclusive.ToString().ToLowerInvariant()})", Fields(session) with { Phase = SessionPhase.Running });
        return true;
    }

    /// <summary>A Running session whose Job failed, vanished, ran past its deadline or succeeded unreported; true when settled.</summary>
    private async Task<bool> SettleAsync(IKubernetesObject<V1ObjectMeta> session, CancellationToken cancellationToken)
    {
        var status = SessionAccess.StatusOf(session);
        var ns = SessionAccess.NamespaceOf(session);
        var now = clock.GetUtcNow();
        var jobName = status?.JobName ?? JobFactory.JobName(session.Metadata.Name);
        var state = await cluster.GetJobAsync(ns, jobName, cancellationToken);
        var grace = TimeSpan.FromMinutes(2);
        (string Phase, string Reason, string Message)? verdict = state switch
        {
            null => (SessionPhase.Failed, "JobDisappeared", $"Job {jobName} no longer exists and the runner never reported a result"),
            { Outcome: JobOutcome.Failed } => (SessionPhase.Failed, state.Reason ?? "JobFailed", state.Message ?? $"Job {jobName} failed"),
            { Outcome: JobOutcome.Succeeded } when status?.CompletionTime is null =>
                // The runner succeeded but its report did not arrive: say so rather than invent figures.
                (SessionPhase.Succeeded, "ReportMissing", $"Job {jobName} succeeded; the runner's report did not reach the webhook, so there are no snapshot figures"),
            { Outcome: JobOutcome.Running } when status?.SessionDeadline + grace < now =>
                (SessionPhase.Failed, "DeadlineExceeded", $"Job {jobName} ran past the session deadline {status?.SessionDeadline:u}"),
            _ => null,
        };
        if (verdict is not { } v)
        {
            return false;
        }
        var written = await SessionAccess.UpdateStatusAsync(cluster, session, st =>
        {
            if (!SessionPhase.CanMove(st?.Phase, v.Phase))
            {
                return null;
            }
            var start = st?.StartTime;
            return (st ?? new()) with
            {
                Phase = v.Phase, Reason = v.Reason, Message = v.Message, CompletionTime = now,
                SessionDuration = start is { } t ? GoDuration.Format(now - t) : null,
            };
        }, cancellationToken);
        if (written)
        {
            var fields = Fields(session) with { Phase = v.Phase, Reason = v.Reason };
            if (v.Phase == SessionPhase.Failed)
            {
                Log(session).Error(v.Message, fields);
            }
            else
            {
                Log(session).Warning(v.Message, fields);
            }
        }
        return written;
    }

    private JsonLog Log(IKubernetesObject<V1ObjectMeta> session) => log ?? JsonLog.None;

    private static LogFields Fields(IKubernetesObject<V1ObjectMeta> session) => new()
    {
        Namespace = SessionAccess.NamespaceOf(session),
        Kind = SessionAccess.KindOf(session),
        Session = session.Metadata.Name,
        Configuration = SessionAccess.ConfigurationOf(session),
        Repository = SessionAccess.RepositoryOf(session),
    };

    private async Task<(V1Job? Job, (string Reason, string Message)? Problem)> BuildJobAsync(IKubernetesObject<V1ObjectMeta> session, bool exclusive, CancellationToken cancellationToken)
    {
        var ns = SessionAccess.NamespaceOf(session);
        BackupConfiguration? configuration = null;
        string? repositoryName, bindingName = null;
        switch (session)
        {
            case BackupSession backup:
                configuration = await cluster.GetAsync<BackupConfiguration>(ns, backup.Spec.Invoker.Name ?? "", cancellationToken);
                if (configuration is null)
                {
                    return (null, ("InvalidReference", $"spec.invoker.name: BackupConfiguration {ns}/{backup.Spec.Invoker.Name} does not exist"));
                }
                // The configuration may have changed since the session was created: bad input fails here, not in the Job.
                if (ResourceValidation.Validate(configuration) is { Count: > 0 } invalid)
                {
                    return (null, ("InvalidConfiguration", $"BackupConfiguration {ns}/{configuration.Name}: {string.Join("; ", invalid)}"));
                }
                (repositoryName, bindingName) = (configuration.Spec.Repository.Name, configuration.Spec.Target.Ref.Name);
                break;
            case RestoreSession restore:
                if (ResourceValidation.Validate(restore) is { Count: > 0 } errors)
                {
                    return (null, ("InvalidReference", string.Join("; ", errors)));
                }
                (repositoryName, bindingName) = (restore.Spec.Repository.Name, restore.Spec.Target.Ref.Name);
                break;
            case MaintenanceSession maintenance:
                if (ResourceValidation.Validate(maintenance) is { Count: > 0 } wrong)
                {
                    return (null, ("InvalidSpec", string.Join("; ", wrong)));
                }
                repositoryName = maintenance.Spec.Repository.Name;
                if (maintenance.Spec.Task == MaintenanceTask.Forget)
                {
                    configuration = await cluster.GetAsync<BackupConfiguration>(ns, maintenance.Spec.Configuration ?? "", cancellationToken);
                    if (configuration is null)
                    {
                        return (null, ("InvalidReference", $"spec.configuration: BackupConfiguration {ns}/{maintenance.Spec.Configuration} does not exist"));
                    }
                }
                break;
            default:
                throw new NotSupportedException($"{session.GetType().Name} is not a session");
        }
        var repository = await cluster.GetAsync<Repository>(ns, repositoryName ?? "", cancellationToken);
        if (repository is null)
        {
            return (null, ("InvalidReference", $"spec.repository.name: Repository {ns}/{repositoryName} does not exist"));
        }
        AppBinding? binding = null;
        if (bindingName is not null || session is not MaintenanceSession)
        {
            binding = await cluster.GetAsync<AppBinding>(ns, bindingName ?? "", cancellationToken);
            if (binding is null)
            {
                return (null, ("InvalidReference", $"spec.target.ref.name: AppBinding {ns}/{bindingName} does not exist"));
            }
        }
        var secretName = JobFactory.SecretName(session.Metadata.Name);
        var kind = SessionAccess.KindOf(session);
        V1Job job;
        try
        {
            var request = new JobRequest
            {
                Backup = session as BackupSession,
                Restore = session as RestoreSession,
                Maintenance = session as MaintenanceSession,
                Configuration = configuration,
                Repository = repository,
                AppBinding = binding,
                SessionSecretName = secretName,
                Exclusive = exclusive,
            };
            job = JobFactory.Build(request, jobOptions);
        }
        catch (ArgumentException e)
        {
            return (null, ("InvalidSpec", e.Message));
        }
        var token = WebhookSignature.DeriveToken(settings.WebhookMasterKey!, new SessionIdentity(ns, kind, session.Metadata.Name, session.Metadata.Uid));
        await cluster.TryCreateSecretAsync(new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Metadata = new V1ObjectMeta
            {
                Name = secretName, NamespaceProperty = ns,
                Labels = new Dictionary<string, string> { [Api.SessionLabel] = session.Metadata.Name },
                OwnerReferences = [new V1OwnerReference { ApiVersion = Api.ApiVersion, Kind = kind, Name = session.Metadata.Name, Uid = session.Metadata.Uid, Controller = true }],
            },
            StringData = new Dictionary<string, string> { [JobFactory.WebhookTokenKey] = token },
            Type = "Opaque",
        }, cancellationToken);
        return (job, null);
    }

    /// <summary>BackupConfiguration.status: the last session, its phase, the last success and the next slot.</summary>
    private async Task UpdateConfigurationsAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var sessions = await cluster.ListAsync<BackupSession>(null, null, cancellationToken);
        foreach (var configuration in await cluster.ListAsync<BackupConfiguration>(null, null, cancellationToken))
        {
            var own = sessions
                .Where(s => s.Namespace == configuration.Namespace && Label(s, Api.ConfigurationLabel) == configuration.Name)
                .OrderByDescending(s => s.Metadata.CreationTimestamp).ThenByDescending(s => s.Name, StringComparer.Ordinal)
                .ToList();
            var last = own.FirstOrDefault();
            var lastSuccess = own.Where(s => s.Status?.Phase == SessionPhase.Succeeded).Select(s => s.Status!.CompletionTime).Max();
            var next = BackupSchedule.TryParse(configuration.Spec.Schedule, configuration.Spec.TimeZone ?? settings.TimeZone, out var schedule, out _)
                ? schedule!.Next(now) : null;
            var current = configuration.Status ?? new();
            var wanted = current with
            {
                LastSession = last?.Name ?? current.LastSession,
                LastSessionPhase = last?.Status?.Phase ?? current.LastSessionPhase,
                LastSuccessTime = Max(current.LastSuccessTime, lastSuccess),
                NextScheduleTime = configuration.Spec.Paused ? null : next,
            };
            if (wanted != current)
            {
                await StatusWriter.UpdateAsync(cluster, configuration, c =>
                {
                    c.Status = wanted;
                    return true;
                }, cancellationToken);
            }
        }

        static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;
    }
}
