using Serverless.Backup.Core.Events;
using Serverless.Backup.Control.Cluster;
using Serverless.Backup.Control.Resources;

namespace Serverless.Backup.Control;

/// <summary>
/// Writes the outcome of a verify session into its BackupConfiguration's status.lastVerification, from the
/// runner's final event or, when the runner never reported, from the Job's end. An outcome older than the one
/// recorded (a slow session overtaken by a newer one) changes nothing.
/// </summary>
public static class VerificationStatusWriter
{
    /// <summary>Writes <paramref name="verification"/> for the verify session; false when it is not one or nothing was written.</summary>
    public static async Task<bool> ApplyAsync(IClusterGateway cluster, MaintenanceSession session, VerificationStatus verification, CancellationToken cancellationToken)
    {
        if (session.Spec.Task != MaintenanceTask.Verify || session.Spec.Configuration is not { } name)
        {
            return false;
        }
        var configuration = await cluster.GetAsync<BackupConfiguration>(session.Metadata.NamespaceProperty ?? "default", name, cancellationToken);
        if (configuration is null)
        {
            return false;
        }
        var written = await StatusWriter.UpdateAsync(cluster, configuration, c =>
        {
            if (c.Status?.LastVerification?.Time is { } recorded && recorded > verification.Time)
            {
                return false;
            }
            c.Status = (c.Status ?? new()) with
            {
                LastVerification = verification,
                VerifiedSnapshots = VerifiedSnapshot.After(c.Status?.VerifiedSnapshots, verification),
            };
            return true;
        }, cancellationToken);
        return written is not null;
    }

    /// <summary>The outcome a verify session's final event reports; null for any other event.</summary>
    public static VerificationStatus? FromEvent(string sessionName, RunnerEvent runnerEvent, DateTimeOffset? startTime) => runnerEvent switch
    {
        SucceededEvent succeeded => new VerificationStatus
        {
            Time = succeeded.Time,
            SessionName = sessionName,
            Result = SessionPhase.Succeeded,
            SnapshotIds = SnapshotIds(succeeded.Verification) ?? succeeded.Databases.Select(d => d.SnapshotId).ToList(),
            DurationSeconds = succeeded.DurationSeconds,
            Message = SuccessMessage(succeeded.Verification),
        },
        FailedEvent failed => new VerificationStatus
        {
            Time = failed.Time,
            SessionName = sessionName,
            Result = SessionPhase.Failed,
            SnapshotIds = SnapshotIds(failed.Verification) ?? [],
            DurationSeconds = startTime is { } start && failed.Time >= start ? (failed.Time - start).TotalSeconds : null,
            Message = FailureMessage(failed),
        },
        _ => null,
    };

    /// <summary>The outcome of a verify session that ended without the runner's report: failed, whatever the Job said.</summary>
    public static VerificationStatus Unreported(string sessionName, string message, DateTimeOffset time, DateTimeOffset? startTime) => new()
    {
        Time = time,
        SessionName = sessionName,
        Result = SessionPhase.Failed,
        SnapshotIds = [],
        DurationSeconds = startTime is { } start && time >= start ? (time - start).TotalSeconds : null,
        Message = message,
    };

    private static List<string>? SnapshotIds(VerificationResult? result) =>
        result is { Databases.Count: > 0 } ? result.Databases.Select(d => d.SnapshotId).ToList() : null;

    private static string SuccessMessage(VerificationResult? result)
    {
        if (result is null)
        {
            return "verified";
        }
        var message = $"{result.Databases.Count} database(s) restored and equal to the backup";
        return result.Checks.Count == 0 ? message : $"{message}; {result.Checks.Count(c => c.Passed)} of {result.Checks.Count} check(s) passed";
    }

    /// <summary>The first differing table, else the first failed check, else the runner's own message.</summary>
    private static string FailureMessage(FailedEvent failed)
    {
        var result = failed.Verification;
        if (result?.Databases.FirstOrDefault(d => !d.Equal) is { } different)
        {
            var where = different.FirstDifference is { } table ? $" from {table} on" : "";
            return $"{different.Database}: snapshot {different.SnapshotId} restored into {different.Scratch} differs from the backup{where}";
        }
        if (result?.Checks.FirstOrDefault(c => !c.Passed) is { } check)
        {
            return $"check '{check.Name}' failed: {check.Message}";
        }
        return failed.Database is null ? failed.Message : $"{failed.Database}: {failed.Message}";
    }
}
