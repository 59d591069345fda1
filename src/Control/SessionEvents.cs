using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Schedules;
using Serverless.Backup.Core.Webhook;
using Serverless.Backup.Control.Cluster;
using Serverless.Backup.Control.Observability;
using Serverless.Backup.Control.Settings;

namespace Serverless.Backup.Control;

/// <summary>
/// The runner's webhook. A request must name its session (X-Backup-Session), be signed with that session's token
/// within the allowed clock skew, and carry an event of that session. Anything else changes nothing. Accepted
/// events move the phase only forward, and an event older than the last accepted one is a replay. A final event
/// that reports on the repository (snapshots, size, integrity, retention) is written to Repository.status too.
/// </summary>
public sealed class SessionEvents(IClusterGateway cluster, AppSettings settings, TimeProvider clock, ControlPlaneMetrics? metrics = null, ILogger? log = null,
    SessionTelemetry? telemetry = null)
{
    private readonly ILogger _log = log ?? NullLogger.Instance;

    public const int MaxBodyBytes = 1 << 20;

    private static readonly string[] Kinds = [ResourceType.BackupSession.Kind, ResourceType.RestoreSession.Kind, ResourceType.MaintenanceSession.Kind];

    public async Task<WebhookResult> HandleAsync(string? sessionHeader, string? timestamp, string? signature, byte[] body, CancellationToken cancellationToken)
    {
        var result = await HandleCoreAsync(sessionHeader, timestamp, signature, body, cancellationToken);
        metrics?.WebhookEvent(result.Status == 200, result.Reason);
        return result;
    }

    private async Task<WebhookResult> HandleCoreAsync(string? sessionHeader, string? timestamp, string? signature, byte[] body, CancellationToken cancellationToken)
    {
        var parts = sessionHeader?.Split('/') ?? [];
        if (parts.Length != 3 || !Kinds.Contains(parts[1]))
        {
            return new(400, $"{WebhookSignature.SessionHeader} must be namespace/{string.Join("|", Kinds)}/name", "malformed");
        }
        var (ns, kind, name) = (parts[0], parts[1], parts[2]);
        // Names only: the header is read before any signature is checked, so it must not reach a path or a query.
        if (!Core.Names.IsDnsLabel(ns) || !Core.Names.IsDnsSubdomain(name))
        {
            return new(400, $"{WebhookSignature.SessionHeader} must name a session as namespace/kind/name with Kubernetes names", "malformed");
        }
        IKubernetesObject<V1ObjectMeta>? session;
        try
        {
            session = kind switch
            {
                "BackupSession" => await cluster.GetAsync<BackupSession>(ns, name, cancellationToken),
                "RestoreSession" => await cluster.GetAsync<RestoreSession>(ns, name, cancellationToken),
                _ => await cluster.GetAsync<MaintenanceSession>(ns, name, cancellationToken),
            };
        }
        catch (InvalidResourceException)
        {
            // Unsigned so far: say no more than that there is no session to report to.
            session = null;
        }
        if (session is null)
        {
            return new(404, "no such session", "unknown_session");
        }
        var identity = new SessionIdentity(SessionAccess.NamespaceOf(session), kind, session.Metadata.Name, session.Metadata.Uid);
        var token = WebhookSignature.DeriveToken(settings.WebhookMasterKey!, identity);
        var check = WebhookSignature.Verify(token, timestamp, signature, body, clock.GetUtcNow());
        if (check != SignatureCheck.Valid)
        {
            return check switch
            {
                SignatureCheck.Missing => new(401, "unsigned: the X-Backup-Timestamp and X-Backup-Signature headers are required", "unsigned"),
                SignatureCheck.Expired => new(401, $"expired: the timestamp is more than {WebhookSignature.MaxSkew.TotalMinutes:0} minutes from the server's clock", "expired"),
                _ => new(401, "the signature does not match this session", "bad_signature"),
            };
        }
        RunnerEvent runnerEvent;
        try
        {
            runnerEvent = RunnerJson.Deserialize(Encoding.UTF8.GetString(body));
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            return new(400, $"the body is not a runner event ({e.Message})", "malformed");
        }
        if (RunnerEventCheck.Problem(runnerEvent) is { } malformed)
        {
            return new(400, $"the event is malformed: {malformed}", "malformed");
        }
        if (runnerEvent.Session != session.Metadata.Name || runnerEvent.Namespace != identity.Namespace)
        {
            return new(400, $"the event is for session {runnerEvent.Namespace}/{runnerEvent.Session}, not {identity.Namespace}/{session.Metadata.Name}", "wrong_session");
        }
        var sent = long.Parse(timestamp!, System.Globalization.CultureInfo.InvariantCulture);
        var now = clock.GetUtcNow();
        if (TimeProblem(runnerEvent, sent, session, now) is { } timeProblem)
        {
            return new(400, timeProblem, "time");
        }
        if (Refusal(SessionAccess.StatusOf(session), runnerEvent, sent) is { } early)
        {
            return early;
        }

        SessionStatus? accepted = null;
        WebhookResult? refused = null;
        var written = await SessionAccess.UpdateStatusAsync(cluster, session, st =>
        {
            var current = st ?? new SessionStatus { Phase = SessionPhase.Pending };
            // Checked again on the latest status: another request may have moved it since it was read.
            if (Refusal(st, runnerEvent, sent) is { } late)
            {
                refused = late;
                return null;
            }
            var next = Apply(current, runnerEvent) with { LastEventTimestamp = sent, LastEventSequence = runnerEvent.Sequence };
            if (next.Phase != current.Phase && !SessionPhase.CanMove(current.Phase, next.Phase!))
            {
                refused = new(409, $"the session is {current.Phase}: a {TypeName(runnerEvent)} event cannot change it", "phase");
                return null;
            }
            accepted = next;
            return next;
        }, cancellationToken);
        if (!written)
        {
            return refused ?? new(404, "the session was deleted while the event was applied", "unknown_session");
        }
        var type = TypeName(runnerEvent);
        if (runnerEvent is SucceededEvent or FailedEvent)
        {
            var fields = new LogFields
            {
                Namespace = identity.Namespace, Kind = kind, Session = identity.Name, Phase = accepted?.Phase, Reason = accepted?.Reason,
                Configuration = SessionAccess.ConfigurationOf(session), Repository = SessionAccess.RepositoryOf(session),
                SnapshotId = runnerEvent is SucceededEvent s && s.Databases.Count > 0 ? string.Join(",", s.Databases.Select(d => d.SnapshotId)) : null,
            };
            using (_log.BeginScope(fields))
            {
                var failed = runnerEvent is FailedEvent;
                _log.SessionReported(failed ? LogLevel.Error : LogLevel.Information, kind, identity.Name, failed ? "failed" : "succeeded", accepted?.Message);
            }
            // Under the operation that created the session: from the timer or request to this report.
            telemetry?.Ended(session, accepted);
            if (SessionAccess.RepositoryOf(session) is { } repository && RepositoryStatusWriter.Carries(runnerEvent))
            {
                await RepositoryStatusWriter.ApplyAsync(cluster, identity.Namespace, repository, runnerEvent, now, cancellationToken);
            }
            if (session is MaintenanceSession { Spec.Task: MaintenanceTask.Verify } verify
                && VerificationStatusWriter.FromEvent(identity.Name, runnerEvent, accepted?.StartTime) is { } verification)
            {
                await VerificationStatusWriter.ApplyAsync(cluster, verify, verification, cancellationToken);
            }
            if (PointInTimeStatusWriter.Carries(session, runnerEvent))
            {
                await PointInTimeStatusWriter.ApplyAsync(cluster, session, runnerEvent, cancellationToken);
            }
        }
        return new(200, $"accepted {runnerEvent.GetType().Name}", type);
    }

    /// <summary>
    /// How far an event's own time may lie after its signature's time and the server's clock. The runner stamps
    /// an event when it happens and signs it when it sends it (later, when it retries), so only the future is
    /// bounded tightly.
    /// </summary>
    public static readonly TimeSpan EventTimeSkew = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Why the event's own time cannot be right, or null. Its time is what Repository.status orders reports by
    /// and what a session's completion time says: one in the future would stick there and hide every later
    /// report, one before the session existed is not of this session.
    /// </summary>
    private static string? TimeProblem(RunnerEvent runnerEvent, long sent, IKubernetesObject<V1ObjectMeta> session, DateTimeOffset now)
    {
        var latest = new[] { DateTimeOffset.FromUnixTimeSeconds(sent), now }.Min() + EventTimeSkew;
        if (runnerEvent.Time > latest)
        {
            return $"time: the event's time {runnerEvent.Time:u} is after its signature's time and the server's clock (+{EventTimeSkew.TotalSeconds:0} s): check the runner's clock";
        }
        if (session.Metadata.CreationTimestamp is { Year: > 1 } created && runnerEvent.Time < new DateTimeOffset(DateTime.SpecifyKind(created, DateTimeKind.Utc)) - EventTimeSkew)
        {
            return $"time: the event's time {runnerEvent.Time:u} is before the session was created ({created:u}): check the runner's clock";
        }
        return null;
    }

    /// <summary>
    /// Why the event cannot change the session as it stands, or null. A finished session is final (the one
    /// exception: a session that Reconcile marked Succeeded because the runner's report had not arrived takes that
    /// report once). Otherwise an event must come after the last accepted one: a higher sequence number, or the
    /// same with a later signature, so a replay, even from the same second, is refused.
    /// </summary>
    private static WebhookResult? Refusal(SessionStatus? status, RunnerEvent runnerEvent, long sent)
    {
        if (SessionPhase.IsFinished(status?.Phase))
        {
            var lateReport = runnerEvent is SucceededEvent && status!.Phase == SessionPhase.Succeeded && status.Reason == ReportMissing;
            if (!lateReport)
            {
                return new(409, $"the session is {status!.Phase}, which is final: a {TypeName(runnerEvent)} event cannot change it", "finished");
            }
            return null;
        }
        var last = (status?.LastEventSequence ?? 0, status?.LastEventTimestamp ?? 0);
        if (status?.LastEventTimestamp is not null && (runnerEvent.Sequence, sent).CompareTo(last) <= 0)
        {
            return new(409, "replayed: an event as new as this one was already accepted", "replayed");
        }
        return null;
    }

    /// <summary>The reason Reconcile gives a session whose Job succeeded before its report arrived.</summary>
    public const string ReportMissing = "ReportMissing";

    private static string TypeName(RunnerEvent runnerEvent) => runnerEvent switch
    {
        StartedEvent => "started",
        ProgressEvent => "progress",
        SucceededEvent => "succeeded",
        FailedEvent => "failed",
        _ => "other",
    };

    private static SessionStatus Apply(SessionStatus current, RunnerEvent runnerEvent) => runnerEvent switch
    {
        StartedEvent started => current with
        {
            Phase = current.Phase == SessionPhase.Pending ? SessionPhase.Running : current.Phase,
            StartTime = current.StartTime ?? started.Time,
        },
        ProgressEvent progress => current with
        {
            Phase = current.Phase == SessionPhase.Pending ? SessionPhase.Running : current.Phase,
            Progress = new SessionProgress { Database = progress.Database, BytesDone = progress.BytesDone, TotalBytesDone = progress.TotalBytesDone, Updated = progress.Time },
        },
        SucceededEvent succeeded => current with
        {
            Phase = SessionPhase.Succeeded,
            Reason = null,
            Message = SuccessMessage(succeeded),
            Warning = succeeded.Warning,
            CompletionTime = succeeded.Time,
            SessionDuration = GoDuration.Format(TimeSpan.FromSeconds(succeeded.DurationSeconds)),
            Stats = succeeded.Databases.Count == 0 ? current.Stats : succeeded.Databases.Select(d => new DatabaseStats
            {
                Database = d.Database, SnapshotId = d.SnapshotId, Bytes = d.Bytes, Sha256 = d.Sha256, Uploaded = d.DataAdded,
                ProcessingTime = GoDuration.Format(TimeSpan.FromSeconds(d.DurationSeconds)), RestoredInto = d.RestoredInto,
            }).ToList(),
            Retention = succeeded.Retention is { } r ? new RetentionStatus { Kept = r.Kept, Removed = r.Removed, DryRun = r.DryRun, Pruned = r.Pruned } : current.Retention,
        },
        FailedEvent failed => current with
        {
            Phase = SessionPhase.Failed,
            Reason = failed.Reason.ToString(),
            Message = failed.Database is null ? failed.Message : $"{failed.Database}: {failed.Message}",
            CompletionTime = failed.Time,
        },
        _ => current,
    };

    private static string SuccessMessage(SucceededEvent succeeded)
    {
        var parts = new List<string>();
        if (succeeded.Databases.Count > 0 || succeeded.Verb is "backup" or "restore")
        {
            parts.Add($"{succeeded.Databases.Count} database(s), {succeeded.Databases.Sum(d => d.Bytes)} bytes");
        }
        if (succeeded.Retention is { } retention)
        {
            parts.Add($"retention {(retention.DryRun ? "would remove" : "removed")} {retention.Removed} snapshot(s), kept {retention.Kept}");
        }
        if (succeeded.Verb == "check")
        {
            parts.Add(succeeded.Repository?.Integrity == false ? "check found damage" : "check found no errors");
        }
        if (succeeded.Verb == "verify")
        {
            parts.Add(succeeded.Verification is { } v ? $"{v.Databases.Count} database(s) verified equal to the backup" : "verified");
        }
        if (succeeded.Verb == "unlock")
        {
            parts.Add("stale locks removed");
        }
        if (succeeded.Repository is { } report)
        {
            parts.Add($"{report.SnapshotCount} snapshot(s) in the repository");
        }
        return string.Join("; ", parts);
    }
}
