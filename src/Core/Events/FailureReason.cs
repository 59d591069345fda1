
namespace Serverless.Backup.Core.Events;

/// <summary>Why a run failed. Each reason has its own exit code (<see cref="ExitCodes"/>).</summary>
public enum FailureReason
{
    /// <summary>A setting is missing or malformed.</summary>
    InvalidSettings,
    /// <summary>The database host could not be reached within the wait timeout.</summary>
    DatabaseUnreachable,
    /// <summary>The database refused the credentials.</summary>
    DatabaseAccessDenied,
    /// <summary>A listed database does not exist.</summary>
    DatabaseNotFound,
    /// <summary>mysqldump exited non-zero.</summary>
    DumpFailed,
    /// <summary>The dump stream ended without mysqldump's completion trailer.</summary>
    DumpTruncated,
    /// <summary>The repository exists but the password does not open it.</summary>
    RepositoryPasswordWrong,
    /// <summary>The storage (Blob, S3, folder) could not be reached or refused the credentials.</summary>
    StorageUnreachable,
    /// <summary>restic failed for another reason.</summary>
    RepositoryError,
    /// <summary>The snapshot (or session) to restore does not exist.</summary>
    SnapshotNotFound,
    /// <summary>The mysql client failed while applying a dump.</summary>
    RestoreFailed,
    /// <summary>restic check found damage in the repository.</summary>
    IntegrityCheckFailed,
    /// <summary>The repository is locked by a session that may still be live (only stale locks are removed then).</summary>
    RepositoryLocked,
    /// <summary>
    /// A restore's target database exists and holds tables, views, routines or events, and overwriting was not
    /// allowed (RESTORE_OVERWRITE, spec.overwrite): nothing was written.
    /// </summary>
    TargetNotEmpty,
    /// <summary>The database user lacks a privilege the dump needs: without it the backup would miss data or fail.</summary>
    InsufficientPrivileges,
    /// <summary>A verify run found the restored data not equal to the backup, or a check failed (VerificationResult says which).</summary>
    VerificationFailed,
    /// <summary>
    /// Point-in-time recovery cannot work on this server: binary logging is off (log_bin), or a server setting it needs
    /// is wrong; the message names the setting and the fix.
    /// </summary>
    BinaryLogUnavailable,
    /// <summary>
    /// The requested point in time is not recoverable: before the first full backup with a recorded position, in the
    /// future, past the last archived event, or inside a gap. Nothing was written; the message gives the window(s).
    /// </summary>
    PointInTimeNotRecoverable,
    /// <summary>The runner was stopped (SIGTERM, SIGINT).</summary>
    Cancelled,
    /// <summary>A bug: anything else.</summary>
    Internal,
}

/// <summary>The runner's exit codes, documented in docs/runner.md.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    public static int For(FailureReason reason) => reason switch
    {
        FailureReason.Internal => 1,
        FailureReason.InvalidSettings => 2,
        FailureReason.DatabaseUnreachable => 3,
        FailureReason.DatabaseAccessDenied => 4,
        FailureReason.DatabaseNotFound => 5,
        FailureReason.DumpFailed => 6,
        FailureReason.DumpTruncated => 7,
        FailureReason.RepositoryPasswordWrong => 8,
        FailureReason.StorageUnreachable => 9,
        FailureReason.RepositoryError => 10,
        FailureReason.SnapshotNotFound => 11,
        FailureReason.RestoreFailed => 12,
        FailureReason.IntegrityCheckFailed => 13,
        FailureReason.RepositoryLocked => 14,
        FailureReason.TargetNotEmpty => 15,
        FailureReason.InsufficientPrivileges => 16,
        FailureReason.VerificationFailed => 17,
        FailureReason.BinaryLogUnavailable => 18,
        FailureReason.PointInTimeNotRecoverable => 19,
        // 128 + SIGTERM, as a shell reports a process ended by the signal.
        FailureReason.Cancelled => 143,
        _ => 1,
    };
}
