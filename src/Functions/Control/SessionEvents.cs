using System.Text;
using System.Text.Json;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Core.Resources;
using Serverless.Backup.Core.Schedules;
using Serverless.Backup.Core.Webhook;
using Serverless.Backup.Functions.Cluster;
using Serverless.Backup.Functions.Settings;

namespace Serverless.Backup.Functions.Control;

/// <summary>The outcome of a webhook request: an HTTP status and a message for the runner's log.</summary>
public sealed record WebhookResult(int Status, string Message);

/// <summary>
/// The runner's webhook. A request must name its session (X-Backup-Session), be signed with that session's token
/// within the allowed clock skew, and carry an event of that session. Anything else changes nothing. Accepted
/// events move the phase only forward, and an event older than the last accepted one is a replay.
/// </summary>
public sealed class SessionEvents(IClusterGateway cluster, AppSettings settings, TimeProvider clock)
{
    public const int MaxBodyBytes = 1 << 20;

    public async Task<WebhookResult> HandleAsync(string? sessionHeader, string? timestamp, string? signature, byte[] body, CancellationToken cancellationToken)
    {
        var parts = sessionHeader?.Split('/') ?? [];
        if (parts.Length != 3 || parts[1] is not ("BackupSession" or "RestoreSession"))
        {
            return new(400, $"{WebhookSignature.SessionHeader} must be namespace/BackupSession|RestoreSession/name");
        }
        var (ns, kind, name) = (parts[0], parts[1], parts[2]);
        return kind == "BackupSession"
            ? await HandleAsync(await cluster.GetAsync<BackupSession>(ns, name, cancellationToken), kind, timestamp, signature, body, s => s.Status, (s, st) => s.Status = st, cancellationToken)
            : await HandleAsync(await cluster.GetAsync<RestoreSession>(ns, name, cancellationToken), kind, timestamp, signature, body, s => s.Status, (s, st) => s.Status = st, cancellationToken);
    }

    private async Task<WebhookResult> HandleAsync<T>(
        T? session, string kind, string? timestamp, string? signature, byte[] body,
        Func<T, SessionStatus?> status, Action<T, SessionStatus> setStatus, CancellationToken cancellationToken)
        where T : class, k8s.IKubernetesObject<k8s.Models.V1ObjectMeta>, new()
    {
        if (session is null)
        {
            return new(404, "no such session");
        }
        var identity = new SessionIdentity(session.Metadata.NamespaceProperty ?? "default", kind, session.Metadata.Name, session.Metadata.Uid);
        var token = WebhookSignature.DeriveToken(settings.WebhookMasterKey!, identity);
        var check = WebhookSignature.Verify(token, timestamp, signature, body, clock.GetUtcNow());
        if (check != SignatureCheck.Valid)
        {
            return new(401, check switch
            {
                SignatureCheck.Missing => "unsigned: the X-Backup-Timestamp and X-Backup-Signature headers are required",
                SignatureCheck.Expired => $"expired: the timestamp is more than {WebhookSignature.MaxSkew.TotalMinutes:0} minutes from the server's clock",
                _ => "the signature does not match this session",
            });
        }
        RunnerEvent runnerEvent;
        try
        {
            runnerEvent = RunnerJson.Deserialize(Encoding.UTF8.GetString(body));
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            return new(400, $"the body is not a runner event ({e.Message})");
        }
        if (runnerEvent.Session != session.Metadata.Name || runnerEvent.Namespace != identity.Namespace)
        {
            return new(400, $"the event is for session {runnerEvent.Namespace}/{runnerEvent.Session}, not {identity.Namespace}/{session.Metadata.Name}");
        }
        var sent = long.Parse(timestamp!, System.Globalization.CultureInfo.InvariantCulture);
        if (sent < (status(session)?.LastEventTimestamp ?? 0))
        {
            return new(409, "replayed: an event newer than this one was already accepted");
        }

        var written = await StatusWriter.UpdateAsync(cluster, session, s =>
        {
            var current = status(s) ?? new SessionStatus { Phase = SessionPhase.Pending };
            if (sent < (current.LastEventTimestamp ?? 0))
            {
                return false;
            }
            var next = Apply(current, runnerEvent) with { LastEventTimestamp = sent };
            if (next.Phase != current.Phase && !SessionPhase.CanMove(current.Phase, next.Phase!))
            {
                return false;
            }
            setStatus(s, next);
            return true;
        }, cancellationToken);
        return written is null
            ? new(409, $"the session is {status(session)?.Phase}: the event cannot change it")
            : new(200, $"accepted {runnerEvent.GetType().Name}");
    }

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
            Message = $"{succeeded.Databases.Count} database(s), {succeeded.Databases.Sum(d => d.Bytes)} bytes",
            CompletionTime = succeeded.Time,
            SessionDuration = GoDuration.Format(TimeSpan.FromSeconds(succeeded.DurationSeconds)),
            Stats = succeeded.Databases.Select(d => new DatabaseStats
            {
                Database = d.Database, SnapshotId = d.SnapshotId, Bytes = d.Bytes, Sha256 = d.Sha256, Uploaded = d.DataAdded,
                ProcessingTime = GoDuration.Format(TimeSpan.FromSeconds(d.DurationSeconds)), RestoredInto = d.RestoredInto,
            }).ToList(),
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
}
