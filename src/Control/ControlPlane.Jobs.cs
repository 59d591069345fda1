using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Schedules;
using Serverless.Backup.Core.Webhook;
using Serverless.Backup.Control.Cluster;
using Serverless.Backup.Control.Jobs;
using Serverless.Backup.Control.Observability;

namespace Serverless.Backup.Control;

/// <summary>Reconcile's work on one session: build and start its Job, or settle it from its Job's state.</summary>
public sealed partial class ControlPlane
{
    /// <summary>Creates the session's Secret and Job and marks it Running; or marks it Failed naming the field to fix (false).</summary>
    private async Task<bool> StartJobAsync(IKubernetesObject<V1ObjectMeta> session, bool exclusive, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        V1Job? job;
        (string Reason, string Message)? problem;
        try
        {
            (job, problem) = await BuildJobAsync(session, exclusive, cancellationToken);
        }
        catch (InvalidResourceException e)
        {
            // A resource the session names exists but cannot be read: the session fails naming it.
            (job, problem) = (null, ("InvalidReference", e.Resource.ToString()));
        }
        if (job is null)
        {
            // Logged by the instance whose write settled it, once, when instances race.
            SessionStatus? failed = null;
            if (await SessionAccess.UpdateStatusAsync(cluster, session, st => failed = SessionPhase.CanMove(st?.Phase, SessionPhase.Failed)
                ? (st ?? new()) with { Phase = SessionPhase.Failed, Reason = problem!.Value.Reason, Message = problem.Value.Message, CompletionTime = now }
                : null, cancellationToken))
            {
                LogPhase(session, SessionPhase.Failed, problem!.Value.Reason, LogLevel.Error, problem.Value.Message);
                Telemetry.Ended(session, failed);
                await RecordUnverifiedAsync(session, $"{problem.Value.Reason}: {problem.Value.Message}", now, null, cancellationToken);
            }
            return false;
        }
        if (!await cluster.TryCreateJobAsync(job, cancellationToken) && session.Metadata.Uid is { } uid
            && !await cluster.JobOwnedByAsync(job.Metadata.NamespaceProperty ?? "default", job.Metadata.Name, uid, cancellationToken))
        {
            // A session of another kind with the same name owns a Job of this name: running on it would settle this
            // session with the other's outcome.
            var taken = $"a Job named {job.Metadata.Name} exists and belongs to another session (a session of another kind has the same name): give this session another name, or delete that Job once its session is finished";
            SessionStatus? refused = null;
            if (await SessionAccess.UpdateStatusAsync(cluster, session, st => refused = SessionPhase.CanMove(st?.Phase, SessionPhase.Failed)
                ? (st ?? new()) with { Phase = SessionPhase.Failed, Reason = "JobNameTaken", Message = taken, CompletionTime = now }
                : null, cancellationToken))
            {
                LogPhase(session, SessionPhase.Failed, "JobNameTaken", LogLevel.Error, taken);
                Telemetry.Ended(session, refused);
                await RecordUnverifiedAsync(session, $"JobNameTaken: {taken}", now, null, cancellationToken);
                await PointInTimeStatusWriter.RecordUnreportedAsync(cluster, session, $"JobNameTaken: {taken}", now, cancellationToken);
            }
            return false;
        }
        var deadline = now + TimeSpan.FromSeconds(job.Spec.ActiveDeadlineSeconds ?? 7200);
        if (await SessionAccess.UpdateStatusAsync(cluster, session, st => SessionPhase.CanMove(st?.Phase, SessionPhase.Running)
            ? (st ?? new()) with { Phase = SessionPhase.Running, Reason = null, Message = null, JobName = job.Metadata.Name, StartTime = st?.StartTime ?? now, SessionDeadline = deadline }
            : null, cancellationToken))
        {
            Telemetry.Started(session, job.Metadata.Name);
        }
        using (Log.BeginScope(Fields(session) with { Phase = SessionPhase.Running }))
        {
            Log.JobStarted(job.Metadata.Name, job.Spec.Template.Spec.Containers[0].Args[0], exclusive ? "true" : "false");
        }
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
                (SessionPhase.Succeeded, SessionEvents.ReportMissing, $"Job {jobName} succeeded; the runner's report did not reach the webhook, so there are no snapshot figures"),
            { Outcome: JobOutcome.Running } when status?.SessionDeadline + grace < now =>
                (SessionPhase.Failed, "DeadlineExceeded", $"Job {jobName} ran past the session deadline {status?.SessionDeadline:u}"),
            _ => null,
        };
        if (verdict is not { } v)
        {
            return false;
        }
        SessionStatus? settled = null;
        var written = await SessionAccess.UpdateStatusAsync(cluster, session, st =>
        {
            if (!SessionPhase.CanMove(st?.Phase, v.Phase))
            {
                return null;
            }
            var start = st?.StartTime;
            return settled = (st ?? new()) with
            {
                Phase = v.Phase, Reason = v.Reason, Message = v.Message, CompletionTime = now,
                SessionDuration = start is { } t ? GoDuration.Format(now - t) : null,
            };
        }, cancellationToken);
        if (written)
        {
            LogPhase(session, v.Phase, v.Reason, v.Phase == SessionPhase.Failed ? LogLevel.Error : LogLevel.Warning, v.Message);
            Telemetry.Ended(session, settled);
            await RecordUnverifiedAsync(session, $"{v.Reason}: {v.Message}", now, status?.StartTime, cancellationToken);
            await PointInTimeStatusWriter.RecordUnreportedAsync(cluster, session, $"{v.Reason}: {v.Message}", now, cancellationToken);
        }
        return written;
    }

    /// <summary>
    /// A verify session that failed without the runner's report (its Job could not be built, failed, vanished or
    /// timed out) proved nothing: it is recorded as a failed verification, so that the alert fires.
    /// </summary>
    private Task RecordUnverifiedAsync(IKubernetesObject<V1ObjectMeta> session, string message, DateTimeOffset now, DateTimeOffset? start, CancellationToken cancellationToken) =>
        session is MaintenanceSession { Spec.Task: MaintenanceTask.Verify } verify
            ? VerificationStatusWriter.ApplyAsync(cluster, verify, VerificationStatusWriter.Unreported(session.Metadata.Name, message, now, start), cancellationToken)
            : Task.CompletedTask;

    /// <summary>
    /// Why a configuration cannot serve a maintenance task of a repository (the same rule for StartMaintenance and
    /// for a session written as a resource), or null: forget needs its retentionPolicy, and both forget and
    /// verify only the configuration's own repository.
    /// </summary>
    public static string? MaintenanceConfigurationProblem(string? task, BackupConfiguration configuration, string? repositoryName) =>
        task == MaintenanceTask.Forget && configuration.Spec.RetentionPolicy is null ? "has no retentionPolicy to apply"
        : task == MaintenanceTask.Archive && configuration.Spec.PointInTime is not { Enabled: true } ? "has no point-in-time recovery to archive for: set spec.pointInTime.enabled to true"
        : configuration.Spec.Repository?.Name != repositoryName ? $"backs up into repository {configuration.Spec.Repository?.Name}, not {repositoryName}"
        : null;

    /// <summary>
    /// The BackupConfiguration whose dumps and binary logs a point-in-time restore from <paramref name="repository"/>
    /// uses: the one named, else the only one of the namespace that archives into the repository; or why there is none.
    /// </summary>
    public async Task<(BackupConfiguration? Configuration, string? Problem)> PointInTimeConfigurationAsync(
        string ns, string? repository, string? named, CancellationToken cancellationToken)
    {
        BackupConfiguration? configuration;
        if (named is not null)
        {
            configuration = await cluster.GetAsync<BackupConfiguration>(ns, named, cancellationToken);
            if (configuration is null)
            {
                return (null, $"spec.configuration: BackupConfiguration {ns}/{named} does not exist");
            }
            if (configuration.Spec.Repository.Name != repository)
            {
                return (null, $"spec.configuration: BackupConfiguration {ns}/{named} backs up into repository {configuration.Spec.Repository.Name}, not {repository}: name the configuration whose backups to use");
            }
        }
        else
        {
            var candidates = (await cluster.ListAsync<BackupConfiguration>(ns, null, cancellationToken))
                .Where(c => c.Spec.Repository.Name == repository && c.Spec.PointInTime is { Enabled: true }).ToList();
            if (candidates.Count != 1)
            {
                return (null, candidates.Count == 0
                    ? $"spec.pointInTime: no BackupConfiguration of namespace {ns} archives binary logs into repository {repository} (spec.pointInTime.enabled): enable it on the configuration, or name one in spec.configuration"
                    : $"spec.configuration: {candidates.Count} BackupConfigurations archive into repository {repository} ({string.Join(", ", candidates.Select(c => c.Name).Order(StringComparer.Ordinal))}): name the one whose backups to use");
            }
            configuration = candidates[0];
        }
        if (ResourceValidation.Validate(configuration) is { Count: > 0 } invalid)
        {
            return (null, $"BackupConfiguration {ns}/{configuration.Name}: {string.Join("; ", invalid)}");
        }
        // A wrong spec.pointInTime stops archiving and point-in-time restores (the PointInTimeValid condition says why).
        if (FeatureProblemsOf(configuration).PointInTime is { } pointInTime)
        {
            return (null, $"BackupConfiguration {ns}/{configuration.Name}: {pointInTime}: fix it before restoring to a point in time");
        }
        return (configuration, null);
    }

    /// <summary>The problem of the configuration's part a task needs (spec.verification for verify, spec.pointInTime for archive), or null.</summary>
    public static string? FeatureProblemFor(string? task, BackupConfiguration configuration)
    {
        var (verification, pointInTime) = FeatureProblemsOf(configuration);
        return task switch
        {
            MaintenanceTask.Verify => verification,
            MaintenanceTask.Archive => pointInTime,
            _ => null,
        };
    }

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
                if (restore.Spec.PointInTime is not null)
                {
                    (configuration, var unresolved) = await PointInTimeConfigurationAsync(ns, restore.Spec.Repository.Name, restore.Spec.Configuration, cancellationToken);
                    if (unresolved is not null)
                    {
                        return (null, ("InvalidReference", unresolved));
                    }
                }
                break;
            case MaintenanceSession maintenance:
                if (ResourceValidation.Validate(maintenance) is { Count: > 0 } wrong)
                {
                    return (null, ("InvalidSpec", string.Join("; ", wrong)));
                }
                repositoryName = maintenance.Spec.Repository.Name;
                if (MaintenanceTask.NeedsConfiguration(maintenance.Spec.Task))
                {
                    configuration = await cluster.GetAsync<BackupConfiguration>(ns, maintenance.Spec.Configuration ?? "", cancellationToken);
                    if (configuration is null)
                    {
                        return (null, ("InvalidReference", $"spec.configuration: BackupConfiguration {ns}/{maintenance.Spec.Configuration} does not exist"));
                    }
                    // The same rules as StartMaintenance over HTTP: a session written as a resource gets no way around them.
                    if (MaintenanceConfigurationProblem(maintenance.Spec.Task, configuration, repositoryName) is { } wrongConfiguration)
                    {
                        return (null, ("InvalidReference", $"spec.configuration: BackupConfiguration {ns}/{configuration.Name} {wrongConfiguration}"));
                    }
                    if (ResourceValidation.Validate(configuration) is { Count: > 0 } invalidConfiguration)
                    {
                        return (null, ("InvalidConfiguration", $"BackupConfiguration {ns}/{configuration.Name}: {string.Join("; ", invalidConfiguration)}"));
                    }
                    if (FeatureProblemFor(maintenance.Spec.Task, configuration) is { } feature)
                    {
                        return (null, ("InvalidConfiguration", $"BackupConfiguration {ns}/{configuration.Name}: {feature}"));
                    }
                    if (maintenance.Spec.Task is MaintenanceTask.Verify or MaintenanceTask.Archive)
                    {
                        bindingName = configuration.Spec.Target.Ref.Name;
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
        AppBinding? binding = null, scratch = null;
        if (bindingName is not null || session is not MaintenanceSession)
        {
            binding = await cluster.GetAsync<AppBinding>(ns, bindingName ?? "", cancellationToken);
            if (binding is null)
            {
                return (null, ("InvalidReference", $"spec.target.ref.name: AppBinding {ns}/{bindingName} does not exist"));
            }
        }
        if (session is MaintenanceSession { Spec.Task: MaintenanceTask.Verify } && configuration?.Spec.Verification?.Target?.Name is { } scratchName)
        {
            scratch = await cluster.GetAsync<AppBinding>(ns, scratchName, cancellationToken);
            if (scratch is null)
            {
                return (null, ("InvalidReference", $"spec.verification.target.name: AppBinding {ns}/{scratchName} (the scratch server of BackupConfiguration {configuration.Name}) does not exist"));
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
                VerifyAppBinding = scratch,
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
}
