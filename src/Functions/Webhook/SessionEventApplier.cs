using System.Globalization;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Core.Resources;
using Serverless.Backup.Functions.Jobs;

namespace Serverless.Backup.Functions.Webhook;

/// <summary>
/// Applies a verified runner event to a session's status. Phases only move forward, and an event signed no later than
/// the last accepted one is a replay (409), so a replayed "failed" cannot undo "succeeded" and an old "started"
/// cannot reopen a finished session.
/// </summary>
public static class SessionEventApplier
{
    public static EventOutcome Apply(SessionStatus? current, string sessionName, string @namespace, RunnerEvent runnerEvent, DateTimeOffset signedAt)
    {
        current ??= new SessionStatus { Phase = SessionPhase.Pending };
        if (runnerEvent.Session != sessionName || runnerEvent.Namespace != @namespace)
        {
            return EventOutcome.Refused(400, $"the event's session {runnerEvent.Namespace}/{runnerEvent.Session} is not the one in the URL ({@namespace}/{sessionName}): post each event to its own session's route");
        }
        if (current.LastEventTime is { } last && signedAt <= last)
        {
            return EventOutcome.Refused(409, $"the event was signed at {signedAt:O}, not after the last accepted one ({last:O}): a replay changes nothing");
        }
        if (SessionPhase.IsFinal(current.Phase))
        {
            return EventOutcome.Refused(409, $"the session is already {current.Phase}: phases only move forward");
        }
        var next = current with { LastEventTime = signedAt };
        switch (runnerEvent)
        {
            case StartedEvent started:
                return EventOutcome.Accepted(next with
                {
                    Phase = SessionPhase.Running,
                    StartTime = current.StartTime ?? started.Time,
                    Message = $"started: {string.Join(", ", started.Databases)}",
                });
            case ProgressEvent progress:
                return EventOutcome.Accepted(next with
                {
                    Phase = SessionPhase.Running,
                    TotalBytes = progress.TotalBytesDone,
                    Message = $"{progress.Database}: {progress.BytesDone} bytes",
                });
            case SucceededEvent succeeded:
                return EventOutcome.Accepted(next with
                {
                    Phase = SessionPhase.Succeeded,
                    CompletionTime = succeeded.Time,
                    SessionDuration = GoDuration.Format(TimeSpan.FromSeconds(succeeded.DurationSeconds)),
                    TotalBytes = succeeded.Databases.Sum(d => d.Bytes),
                    Message = $"{succeeded.Databases.Count} database(s) in {succeeded.DurationSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s",
                    Snapshots = succeeded.Databases.Select(d => new SnapshotStats
                    {
                        Database = d.Database,
                        SnapshotId = d.SnapshotId,
                        Bytes = d.Bytes,
                        Sha256 = d.Sha256,
                        DataAdded = d.DataAdded,
                        DurationSeconds = d.DurationSeconds,
                        RestoredInto = d.RestoredInto,
                    }).ToList(),
                });
            case FailedEvent failed:
                return EventOutcome.Accepted(next with
                {
                    Phase = SessionPhase.Failed,
                    CompletionTime = failed.Time,
                    Reason = failed.Reason.ToString(),
                    Message = failed.Database is null ? failed.Message : $"{failed.Database}: {failed.Message}",
                });
            default:
                return EventOutcome.Refused(400, "unknown event type: send started, progress, succeeded or failed");
        }
    }
}
