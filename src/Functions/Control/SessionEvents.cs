using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Core.Resources;
using Serverless.Backup.Core.Schedules;
using Serverless.Backup.Core.Webhook;
using Serverless.Backup.Functions.Cluster;
using Serverless.Backup.Functions.Observability;
using Serverless.Backup.Functions.Settings;

namespace Serverless.Backup.Functions.Control;

/// <summary>
/// The runner's webhook. A request must name its session (X-Backup-Session), be signed with that session's token
/// within the allowed clock skew, and carry an event of that session. Anything else changes nothing. Accepted
/// events move the phase only forward, and an event older than the last accepted one is a replay. A final event
/// that reports on the repository (snapshots, size, integrity, retention) is written to Repository.status too.
/// </summary>
public sealed class SessionEvents(IClusterGateway cluster, AppSettings settings, TimeProvider clock, ControlPlaneMetrics? metrics = null, JsonLog? log = null)
{
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
        IKubernetesObject<V1ObjectMeta>? session = kind switch
        {
            "BackupSession" => await cluster.GetAsync<BackupSession>(ns, name, cancellationToken),
            "RestoreSession" => await cluster.GetAsync<RestoreSession>(ns, name, cancellationToken),
            _ => await cluster.GetAsync<MaintenanceSession>(ns, name, cancellationToken),
        };
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
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            return new(400, $"the body is not a runner event ({e.Message})", "malformed");
        }
        if (runnerEvent.Session != session.Metadata.Name || runnerEvent.Namespace != identity.Namespace)
        {
            return new(400, $"the event is for session {runnerEvent.Namespace}/{runnerEvent.Session}, not {identity.Namespace}/{session.Metadata.Name}", "wrong_session");
        }
        var sent = long.Parse(timestamp!, System.Globalization.CultureInfo.InvariantCulture);
        if (sent < (SessionAccess.StatusOf(session)?.LastEventTimestamp ?? 0))
        {
            return new(409, "replayed: an event newer than this one was already accepted", "replayed");
        }

        SessionStatus? accepted = null;
        var written = await SessionAccess.UpdateStatusAsync(cluster, session, st =>
        {
            var current = st ?? new SessionStatus { Phase = SessionPhase.Pending };
            if (sent < (current.LastEventTimestamp ?? 0))
            {
                return null;
            }
            var next = Apply(current, runnerEvent) with { LastEventTimestamp = sent };
            if (next.Phase != current.Phase && !SessionPhase.CanMove(current.Phase, next.Phase!))
            {
                return null;
            }
            accepted = next;
            return next;
        }, cancellationToken);
        if (!written)
        {
            return new(409, $"the session is {SessionAccess.StatusOf(session)?.Phase}: the event cannot change it", "phase");
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
            if (runnerEvent is FailedEvent)
            {
                (log ?? JsonLog.None).Error($"{kind} {identity.Name} failed: {accepted?.Message}", fields);
            }
            else
            {
                (log ?? JsonLog.None).Info($"{kind} {identity.Name} succeeded: {accepted?.Message}", fields);
            }
            if (SessionAccess.RepositoryOf(session) is { } repository && RepositoryStatusWriter.Carries(runnerEvent))
            {
                await RepositoryStatusWriter.ApplyAsync(cluster, identity.Namespace, repository, runnerEvent, cancellationToken);
            }
        }
        return new(200, $"accepted {runnerEvent.GetType().Name}", type);
    }

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
