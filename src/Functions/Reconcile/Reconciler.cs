using Serverless.Backup.Core.Resources;
using Serverless.Backup.Core.Schedules;
using Serverless.Backup.Core.Webhook;
using Serverless.Backup.Functions.Cluster;
using Serverless.Backup.Functions.Jobs;

namespace Serverless.Backup.Functions.Reconcile;

/// <summary>
/// The Reconcile function: a Pending session gets its Secret and Job (deterministic names, owned by the session);
/// an active session whose Job failed, passed its deadline or disappeared becomes Failed with the reason.
/// A session whose inputs are missing or invalid becomes Failed with a message naming the field.
/// </summary>
public sealed class Reconciler(IClusterGateway gateway, JobSettings jobSettings, string masterKey, TimeProvider clock)
{
    public async Task<IReadOnlyList<string>> RunAsync(CancellationToken cancellationToken)
    {
        var logs = new List<string>();
        foreach (var session in await gateway.ListBackupSessionsAsync(cancellationToken))
        {
            if (!SessionPhase.IsActive(session.Status?.Phase))
            {
                continue;
            }
            try
            {
                var line = session.Status?.JobName is null
                    ? await StartAsync(session, cancellationToken)
                    : await CheckAsync(session, cancellationToken);
                if (line is not null)
                {
                    logs.Add($"{session.Key}: {line}");
                }
            }
            catch (ConflictException)
            {
                logs.Add($"{session.Key}: changed meanwhile; next run");
            }
        }
        return logs;
    }

    private async Task<string?> StartAsync(BackupSession session, CancellationToken cancellationToken)
    {
        var ns = session.Metadata.NamespaceProperty ?? "default";
        var configuration = await gateway.GetConfigurationAsync(ns, session.Spec.Invoker.Name, cancellationToken);
        if (configuration is null)
        {
            return await FailAsync(session, "InvalidInput", $"BackupSession spec.invoker.name: BackupConfiguration {ns}/{session.Spec.Invoker.Name} does not exist", cancellationToken);
        }
        var repository = await gateway.GetRepositoryAsync(ns, configuration.Spec.Repository.Name, cancellationToken);
        if (repository is null)
        {
            return await FailAsync(session, "InvalidInput", $"BackupConfiguration {configuration.Key} spec.repository.name: Repository '{configuration.Spec.Repository.Name}' does not exist in {ns}", cancellationToken);
        }
        var binding = await gateway.GetAppBindingAsync(ns, configuration.Spec.Target.Ref.Name, cancellationToken);
        if (binding is null)
        {
            return await FailAsync(session, "InvalidInput", $"BackupConfiguration {configuration.Key} spec.target.ref.name: AppBinding '{configuration.Spec.Target.Ref.Name}' does not exist in {ns}", cancellationToken);
        }
        JobPlan plan;
        try
        {
            var token = WebhookSigner.SessionToken(masterKey, ns, BackupSession.KindName, session.Metadata.Name, session.Metadata.Uid ?? "");
            plan = JobFactory.ForBackup(session, configuration, repository, binding, token, jobSettings);
        }
        catch (JobInputException e)
        {
            return await FailAsync(session, "InvalidInput", e.Message, cancellationToken);
        }
        await gateway.CreateJobAsync(plan, cancellationToken);
        var now = clock.GetUtcNow();
        session.Status = (session.Status ?? new SessionStatus()) with
        {
            Phase = SessionPhase.Pending,
            JobName = plan.Job.Metadata.Name,
            SessionDeadline = now.AddSeconds(plan.Job.Spec.ActiveDeadlineSeconds ?? 0),
        };
        await gateway.ReplaceBackupSessionStatusAsync(session, cancellationToken);
        return $"Job {plan.Job.Metadata.Name} created";
    }

    private async Task<string?> CheckAsync(BackupSession session, CancellationToken cancellationToken)
    {
        var ns = session.Metadata.NamespaceProperty ?? "default";
        var job = await gateway.GetJobAsync(ns, session.Status!.JobName!, cancellationToken);
        if (job is null)
        {
            return await FailAsync(session, "JobMissing", $"Job {ns}/{session.Status.JobName} disappeared before the runner reported a result", cancellationToken);
        }
        if (job.Status?.Failed is > 0 || job.Status?.Conditions?.FirstOrDefault(c => c.Type == "Failed" && c.Status == "True") is not null)
        {
            var condition = job.Status?.Conditions?.FirstOrDefault(c => c.Type == "Failed");
            var reason = condition?.Reason ?? "JobFailed";
            return await FailAsync(session, reason, $"Job {ns}/{job.Metadata.Name} failed: {condition?.Message ?? reason}", cancellationToken);
        }
        if (session.Status.SessionDeadline is { } deadline && clock.GetUtcNow() > deadline.AddMinutes(1) && job.Status?.Succeeded is not > 0)
        {
            return await FailAsync(session, "DeadlineExceeded", $"the session passed its deadline {deadline:O} (BackupConfiguration spec.timeOut)", cancellationToken);
        }
        return null;
    }

    private async Task<string> FailAsync(BackupSession session, string reason, string message, CancellationToken cancellationToken)
    {
        session.Status = (session.Status ?? new SessionStatus()) with
        {
            Phase = SessionPhase.Failed,
            Reason = reason,
            Message = message,
            CompletionTime = clock.GetUtcNow(),
        };
        await gateway.ReplaceBackupSessionStatusAsync(session, cancellationToken);
        return $"Failed: {message}";
    }

    /// <summary>The Job name a session gets (for callers that poll it).</summary>
    public static string JobName(BackupSession session) => SessionNames.JobFor(session.Metadata.Name);

}
