using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Cluster;
using Serverless.Backup.Control.Jobs;
using Serverless.Backup.Control.Observability;
using Serverless.Backup.Control.Settings;

namespace Serverless.Backup.Control;

/// <summary>
/// The timer functions: ScheduleTick creates due BackupSessions, Reconcile gives Pending sessions their Job and
/// settles sessions whose Job failed, ran past its deadline or disappeared. Both are idempotent: a duplicate
/// firing, or two app instances, change nothing twice (deterministic names, 409 means it exists).
/// </summary>
public sealed partial class ControlPlane(
    IClusterGateway cluster, AppSettings settings, RunnerJobOptions jobOptions, TimeProvider clock, ControlPlaneMetrics? metrics = null, ILogger? log = null,
    SessionTelemetry? telemetry = null)
{
    /// <summary>The sessions' structured telemetry (created, started, ended).</summary>
    internal SessionTelemetry Telemetry { get; } = telemetry ?? new SessionTelemetry();

    private static string? Label(k8s.IKubernetesObject<V1ObjectMeta> resource, string key) =>
        resource.Metadata.Labels is { } labels && labels.TryGetValue(key, out var value) ? value : null;

    /// <summary>
    /// Gives Pending sessions their Job and settles Running sessions whose Job ended without a report. One
    /// exclusive job per repository: a maintenance session waits (Pending, with a message naming the busy session)
    /// while any other session of its repository runs; a backup whose repository is under maintenance is Skipped
    /// (RepositoryBusy); a restore waits for the maintenance to end (restic's shared locks let restores and
    /// backups run side by side, but check, forget and unlock need the repository alone). A verify session takes
    /// shared locks like a restore: it waits for exclusive maintenance and for another verify, and blocks neither
    /// backups nor restores.
    /// </summary>
    public async Task<string> ReconcileAsync(CancellationToken cancellationToken)
    {
        using var timer = metrics?.TimeReconcile();
        var report = new TickReport("Reconcile", Log);
        var backups = await cluster.ListAsync<BackupSession>(null, null, cancellationToken);
        var restores = await cluster.ListAsync<RestoreSession>(null, null, cancellationToken);
        var maintenances = await cluster.ListAsync<MaintenanceSession>(null, null, cancellationToken);
        report.Report(backups.Unreadable.Concat(restores.Unreadable).Concat(maintenances.Unreadable));
        var sessions = new List<IKubernetesObject<V1ObjectMeta>>();
        sessions.AddRange(backups);
        sessions.AddRange(restores);
        sessions.AddRange(maintenances);
        int started = 0, settled = 0, waiting = 0;
        var finished = new HashSet<IKubernetesObject<V1ObjectMeta>>(ReferenceEqualityComparer.Instance);
        // Running sessions first: one that ended frees its repository for the Pending ones.
        await report.EachAsync(sessions.Where(s => SessionAccess.StatusOf(s)?.Phase == SessionPhase.Running).ToList(), IdentifySession, async session =>
        {
            if (await SettleAsync(session, cancellationToken))
            {
                settled++;
                finished.Add(session);
            }
        }, cancellationToken);
        var running = sessions.Where(s => SessionAccess.StatusOf(s)?.Phase == SessionPhase.Running && !finished.Contains(s)).ToList();
        var pending = sessions
            .Where(s => SessionAccess.StatusOf(s)?.Phase is null or SessionPhase.Pending)
            .OrderBy(s => s.Metadata.CreationTimestamp ?? DateTime.MinValue).ThenBy(s => s.Metadata.Name, StringComparer.Ordinal)
            .ToList();
        // Maintenance that has waited longer than MaintenanceQueueGrace for its repository, by repository: it
        // holds its place, so that backups overlapping without a gap cannot keep it waiting for ever.
        var queued = new Dictionary<(string, string), IKubernetesObject<V1ObjectMeta>>();
        var now = clock.GetUtcNow();
        await report.EachAsync(pending, IdentifySession, async session =>
        {
            var ns = SessionAccess.NamespaceOf(session);
            var repository = SessionAccess.RepositoryOf(session);
            var sameRepository = running.Where(r => repository is not null && SessionAccess.NamespaceOf(r) == ns && SessionAccess.RepositoryOf(r) == repository).ToList();
            // Maintenance needs the repository alone; a backup waits for no restore but for maintenance and for
            // another backup (one backup per repository, also when two were created at once); a restore only
            // for maintenance. A verify only reads, like a restore, and runs one at a time per repository.
            var blocker = IsExclusive(session) ? sameRepository.FirstOrDefault()
                : IsVerify(session) ? sameRepository.FirstOrDefault(r => IsExclusive(r) || IsVerify(r))
                : IsArchive(session) ? sameRepository.FirstOrDefault(r => IsExclusive(r) || IsArchive(r))
                : sameRepository.FirstOrDefault(IsExclusive);
            var queuedAhead = blocker is null && !IsExclusive(session) && repository is not null && queued.TryGetValue((ns, repository), out var ahead) ? ahead : null;
            // Checked last, so that a waiting maintenance is named when it is the reason that lasts.
            var otherBackup = session is BackupSession ? sameRepository.FirstOrDefault(r => r is BackupSession) : null;
            if ((blocker ?? queuedAhead ?? otherBackup) is { } busy)
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
                if (IsExclusive(session) && now - (session.Metadata.CreationTimestamp ?? now.UtcDateTime) >= MaintenanceQueueGrace)
                {
                    queued.TryAdd((ns, repository!), session);
                }
                return;
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
        }, cancellationToken);
        var trimmed = await TrimMaintenanceHistoryAsync(maintenances, report, cancellationToken);
        await UpdateConfigurationsAsync(report, cancellationToken);
        report.Skipped = waiting;
        return report.Finish($"{sessions.Count + backups.Unreadable.Count + restores.Unreadable.Count + maintenances.Unreadable.Count} sessions seen, {started} jobs started, {settled} sessions settled, {waiting} waiting for their repository, {trimmed} old maintenance sessions deleted");
    }

    /// <summary>A maintenance session that needs the repository alone (check, forget, unlock).</summary>
    private static bool IsExclusive(IKubernetesObject<V1ObjectMeta> session) => session is MaintenanceSession m && MaintenanceTask.IsExclusive(m.Spec.Task);

    private static bool IsVerify(IKubernetesObject<V1ObjectMeta> session) => session is MaintenanceSession { Spec.Task: MaintenanceTask.Verify };

    /// <summary>An archive stores binary logs beside backups and restores; two at once of one repository would store the same logs twice.</summary>
    private static bool IsArchive(IKubernetesObject<V1ObjectMeta> session) => session is MaintenanceSession { Spec.Task: MaintenanceTask.Archive };

    private static (string, string, string) IdentifySession(IKubernetesObject<V1ObjectMeta> session) =>
        (SessionAccess.KindOf(session), SessionAccess.NamespaceOf(session), session.Metadata.Name);

    /// <summary>
    /// How long a MaintenanceSession waits for its repository while new sessions still start beside the running
    /// ones. After that it holds its place: later backups of the repository are Skipped and later restores wait,
    /// so the sessions already running end and the maintenance gets its turn.
    /// </summary>
    public static readonly TimeSpan MaintenanceQueueGrace = TimeSpan.FromMinutes(30);

    /// <summary>Finished MaintenanceSessions kept per repository and task (a weekly check would otherwise pile up).</summary>
    public const int MaintenanceHistoryLimit = 3;

    private async Task<int> TrimMaintenanceHistoryAsync(IEnumerable<MaintenanceSession> sessions, TickReport report, CancellationToken cancellationToken)
    {
        var old = sessions
            .Where(s => SessionPhase.IsFinished(s.Status?.Phase))
            .GroupBy(s => (s.Namespace, SessionAccess.RepositoryOf(s), s.Spec.Task))
            .SelectMany(g => g.OrderByDescending(s => s.Metadata.CreationTimestamp).ThenByDescending(s => s.Name, StringComparer.Ordinal).Skip(MaintenanceHistoryLimit))
            .ToList();
        var deleted = 0;
        await report.EachAsync(old, IdentifySession, async session =>
        {
            deleted += await cluster.DeleteAsync<MaintenanceSession>(session.Namespace, session.Name, cancellationToken) ? 1 : 0;
        }, cancellationToken);
        return deleted;
    }

    private static string Describe(IKubernetesObject<V1ObjectMeta> blocker, string repository, bool queued) => queued
        ? $"{SessionAccess.KindOf(blocker)} {blocker.Metadata.Name} of repository {repository} has waited more than {MaintenanceQueueGrace.TotalMinutes:0} minutes for the repository and goes first"
        : $"{SessionAccess.KindOf(blocker)} {blocker.Metadata.Name} of repository {repository} is Running";

    private async Task SkipAsync(IKubernetesObject<V1ObjectMeta> session, string repository, IKubernetesObject<V1ObjectMeta> blocker, bool queued, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var message = blocker is BackupSession
            ? $"{Describe(blocker, repository, queued)}: one backup per repository at a time"
            : $"{Describe(blocker, repository, queued)}: a backup does not start while the repository is under maintenance";
        SessionStatus? skipped = null;
        if (await SessionAccess.UpdateStatusAsync(cluster, session, st => skipped = SessionPhase.CanMove(st?.Phase, SessionPhase.Skipped)
            ? (st ?? new()) with { Phase = SessionPhase.Skipped, Reason = "RepositoryBusy", Message = message, CompletionTime = now }
            : null, cancellationToken))
        {
            Telemetry.Ended(session, skipped);
        }
        LogPhase(session, SessionPhase.Skipped, "RepositoryBusy", LogLevel.Warning, message);
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
        // Held back, if only for a while: a warning, never information (it is logged once per reason).
        LogPhase(session, SessionPhase.Pending, "RepositoryBusy", LogLevel.Warning, message);
    }

    private ILogger Log => log ?? NullLogger.Instance;

    /// <summary>A session's move to <paramref name="phase"/> (or its wait), in its status message's words, with its fields.</summary>
    private void LogPhase(IKubernetesObject<V1ObjectMeta> session, string phase, string? reason, LogLevel level, string message)
    {
        using (Log.BeginScope(Fields(session) with { Phase = phase, Reason = reason }))
        {
            Log.SessionPhaseChanged(level, message);
        }
    }

    private static LogFields Fields(IKubernetesObject<V1ObjectMeta> session) => new()
    {
        Namespace = SessionAccess.NamespaceOf(session),
        Kind = SessionAccess.KindOf(session),
        Session = session.Metadata.Name,
        Configuration = SessionAccess.ConfigurationOf(session),
        Repository = SessionAccess.RepositoryOf(session),
    };

    /// <summary>BackupConfiguration.status: the last session, its phase, the last success and the next slot.</summary>
    private async Task UpdateConfigurationsAsync(TickReport report, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        // Listed again: this pass may have moved sessions since the first list.
        var sessions = await cluster.ListAsync<BackupSession>(null, null, cancellationToken);
        // Unreadable configurations are ScheduleTick's to report: once a minute is enough.
        var configurations = await cluster.ListAsync<BackupConfiguration>(null, null, cancellationToken);
        await report.EachAsync(configurations, Identify, async configuration =>
        {
            var own = sessions
                .Where(s => s.Namespace == configuration.Namespace && Label(s, Api.ConfigurationLabel) == configuration.Name)
                .OrderByDescending(s => s.Metadata.CreationTimestamp).ThenByDescending(s => s.Name, StringComparer.Ordinal)
                .ToList();
            var last = own.FirstOrDefault();
            var lastSuccess = own.Where(s => s.Status?.Phase == SessionPhase.Succeeded).Select(s => s.Status!.CompletionTime).Max();
            // An invalid configuration has no next slot (ScheduleTick reports it as Invalid).
            var next = ProblemOf(configuration, out var schedule) is null ? schedule!.Next(now) : null;
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
                    var fresh = c.Status ?? new();
                    c.Status = fresh with
                    {
                        LastSession = wanted.LastSession,
                        LastSessionPhase = wanted.LastSessionPhase,
                        LastSuccessTime = Max(fresh.LastSuccessTime, wanted.LastSuccessTime),
                        NextScheduleTime = wanted.NextScheduleTime,
                    };
                    return c.Status != fresh;
                }, cancellationToken);
            }
        }, cancellationToken);

        static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;
    }
}
