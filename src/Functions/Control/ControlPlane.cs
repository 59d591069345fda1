using System.Diagnostics;
using k8s.Models;
using Serverless.Backup.Core;
using Serverless.Backup.Core.Resources;
using Serverless.Backup.Core.Schedules;
using Serverless.Backup.Core.Webhook;
using Serverless.Backup.Functions.Cluster;
using Serverless.Backup.Functions.Jobs;
using Serverless.Backup.Functions.Settings;

namespace Serverless.Backup.Functions.Control;

/// <summary>
/// The timer functions: ScheduleTick creates due BackupSessions, Reconcile gives Pending sessions their Job and
/// settles sessions whose Job failed, ran past its deadline or disappeared. Both are idempotent: a duplicate
/// firing, or two app instances, change nothing twice (deterministic names, 409 means it exists).
/// </summary>
public sealed class ControlPlane(IClusterGateway cluster, AppSettings settings, RunnerJobOptions jobOptions, TimeProvider clock)
{
    /// <summary>A missed slot older than this is not run after downtime, unless the configuration says otherwise.</summary>
    public static readonly TimeSpan DefaultStartingDeadline = TimeSpan.FromMinutes(10);

    public async Task<string> ScheduleTickAsync(CancellationToken cancellationToken)
    {
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
        return $"ScheduleTick: {configurations.Count} configurations, {created} sessions created, {skipped} skipped, {failed} invalid";
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

    public async Task<string> ReconcileAsync(CancellationToken cancellationToken)
    {
        int started = 0, settled = 0;
        foreach (var session in await cluster.ListAsync<BackupSession>(null, null, cancellationToken))
        {
            (started, settled) = Add((started, settled), await ReconcileSessionAsync(session, cancellationToken));
        }
        foreach (var session in await cluster.ListAsync<RestoreSession>(null, null, cancellationToken))
        {
            (started, settled) = Add((started, settled), await ReconcileSessionAsync(session, cancellationToken));
        }
        await UpdateConfigurationsAsync(cancellationToken);
        return $"Reconcile: {started} jobs started, {settled} sessions settled";

        static (int, int) Add((int, int) a, (int, int) b) => (a.Item1 + b.Item1, a.Item2 + b.Item2);
    }

    private async Task<(int Started, int Settled)> ReconcileSessionAsync(BackupSession session, CancellationToken cancellationToken)
    {
        return await ReconcileAsync(session, s => s.Status, (s, st) => s.Status = st, cancellationToken);
    }

    private async Task<(int Started, int Settled)> ReconcileSessionAsync(RestoreSession session, CancellationToken cancellationToken)
    {
        return await ReconcileAsync(session, s => s.Status, (s, st) => s.Status = st, cancellationToken);
    }

    private async Task<(int Started, int Settled)> ReconcileAsync<T>(
        T session, Func<T, SessionStatus?> status, Action<T, SessionStatus> setStatus, CancellationToken cancellationToken)
        where T : class, k8s.IKubernetesObject<V1ObjectMeta>, new()
    {
        var phase = status(session)?.Phase;
        var ns = session.Metadata.NamespaceProperty ?? "default";
        var now = clock.GetUtcNow();
        if (phase is null or SessionPhase.Pending)
        {
            var (job, problem) = await BuildJobAsync(session, cancellationToken);
            if (job is null)
            {
                await StatusWriter.UpdateAsync(cluster, session, s =>
                {
                    if (!SessionPhase.CanMove(status(s)?.Phase, SessionPhase.Failed))
                    {
                        return false;
                    }
                    setStatus(s, (status(s) ?? new()) with { Phase = SessionPhase.Failed, Reason = "InvalidReference", Message = problem, CompletionTime = now });
                    return true;
                }, cancellationToken);
                return (0, 1);
            }
            await cluster.TryCreateJobAsync(job, cancellationToken);
            var deadline = now + TimeSpan.FromSeconds(job.Spec.ActiveDeadlineSeconds ?? 7200);
            await StatusWriter.UpdateAsync(cluster, session, s =>
            {
                if (!SessionPhase.CanMove(status(s)?.Phase, SessionPhase.Running))
                {
                    return false;
                }
                setStatus(s, (status(s) ?? new()) with { Phase = SessionPhase.Running, JobName = job.Metadata.Name, StartTime = status(s)?.StartTime ?? now, SessionDeadline = deadline });
                return true;
            }, cancellationToken);
            return (1, 0);
        }
        if (phase != SessionPhase.Running)
        {
            return (0, 0);
        }
        var jobName = status(session)?.JobName ?? JobFactory.JobName(session.Metadata.Name);
        var state = await cluster.GetJobAsync(ns, jobName, cancellationToken);
        var grace = TimeSpan.FromMinutes(2);
        (string Phase, string Reason, string Message)? verdict = state switch
        {
            null => (SessionPhase.Failed, "JobDisappeared", $"Job {jobName} no longer exists and the runner never reported a result"),
            { Outcome: JobOutcome.Failed } => (SessionPhase.Failed, state.Reason ?? "JobFailed", state.Message ?? $"Job {jobName} failed"),
            { Outcome: JobOutcome.Succeeded } when status(session)?.CompletionTime is null =>
                // The runner succeeded but its report did not arrive: say so rather than invent figures.
                (SessionPhase.Succeeded, "ReportMissing", $"Job {jobName} succeeded; the runner's report did not reach the webhook, so there are no snapshot figures"),
            { Outcome: JobOutcome.Running } when status(session)?.SessionDeadline + grace < now =>
                (SessionPhase.Failed, "DeadlineExceeded", $"Job {jobName} ran past the session deadline {status(session)?.SessionDeadline:u}"),
            _ => null,
        };
        if (verdict is not { } v)
        {
            return (0, 0);
        }
        var written = await StatusWriter.UpdateAsync(cluster, session, s =>
        {
            if (!SessionPhase.CanMove(status(s)?.Phase, v.Phase))
            {
                return false;
            }
            var start = status(s)?.StartTime;
            setStatus(s, (status(s) ?? new()) with
            {
                Phase = v.Phase, Reason = v.Reason, Message = v.Message, CompletionTime = now,
                SessionDuration = start is { } t ? GoDuration.Format(now - t) : null,
            });
            return true;
        }, cancellationToken);
        return (0, written is null ? 0 : 1);
    }

    private async Task<(k8s.Models.V1Job? Job, string? Problem)> BuildJobAsync<T>(T session, CancellationToken cancellationToken)
        where T : class, k8s.IKubernetesObject<V1ObjectMeta>, new()
    {
        var ns = session.Metadata.NamespaceProperty ?? "default";
        BackupConfiguration? configuration = null;
        string? repositoryName, bindingName;
        if (session is BackupSession backup)
        {
            configuration = await cluster.GetAsync<BackupConfiguration>(ns, backup.Spec.Invoker.Name ?? "", cancellationToken);
            if (configuration is null)
            {
                return (null, $"spec.invoker.name: BackupConfiguration {ns}/{backup.Spec.Invoker.Name} does not exist");
            }
            (repositoryName, bindingName) = (configuration.Spec.Repository.Name, configuration.Spec.Target.Ref.Name);
        }
        else
        {
            var restore = (RestoreSession)(object)session;
            var errors = ResourceValidation.Validate(restore);
            if (errors.Count > 0)
            {
                return (null, string.Join("; ", errors));
            }
            (repositoryName, bindingName) = (restore.Spec.Repository.Name, restore.Spec.Target.Ref.Name);
        }
        var repository = await cluster.GetAsync<Repository>(ns, repositoryName ?? "", cancellationToken);
        if (repository is null)
        {
            return (null, $"spec.repository.name: Repository {ns}/{repositoryName} does not exist");
        }
        var binding = await cluster.GetAsync<AppBinding>(ns, bindingName ?? "", cancellationToken);
        if (binding is null)
        {
            return (null, $"spec.target.ref.name: AppBinding {ns}/{bindingName} does not exist");
        }
        var secretName = JobFactory.SecretName(session.Metadata.Name);
        var kind = session is BackupSession ? ResourceType.BackupSession.Kind : ResourceType.RestoreSession.Kind;
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
        try
        {
            var request = new JobRequest
            {
                Backup = session as BackupSession,
                Restore = session as RestoreSession,
                Configuration = configuration,
                Repository = repository,
                AppBinding = binding,
                SessionSecretName = secretName,
            };
            return (JobFactory.Build(request, jobOptions), null);
        }
        catch (ArgumentException e)
        {
            return (null, e.Message);
        }
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
