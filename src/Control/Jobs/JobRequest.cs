using Serverless.Backup.Control.Resources;

namespace Serverless.Backup.Control.Jobs;

/// <summary>
/// Everything a runner Job is built from. Exactly one of <see cref="Backup"/>, <see cref="Restore"/> and
/// <see cref="Maintenance"/> is set. Backups, restores and verify sessions need the <see cref="AppBinding"/>; the
/// other maintenance verbs (check, forget, unlock) only touch the repository and have none.
/// </summary>
public sealed record JobRequest
{
    public BackupSession? Backup { get; init; }
    /// <summary>The configuration of a backup, the one whose retention policy a forget applies, or the one a verify verifies.</summary>
    public BackupConfiguration? Configuration { get; init; }
    public RestoreSession? Restore { get; init; }
    public MaintenanceSession? Maintenance { get; init; }
    public required Repository Repository { get; init; }
    public AppBinding? AppBinding { get; init; }
    /// <summary>verify: the scratch server's AppBinding (spec.verification.target), or null to verify on the source server.</summary>
    public AppBinding? VerifyAppBinding { get; init; }
    /// <summary>The per-session Secret holding WEBHOOK_TOKEN.</summary>
    public required string SessionSecretName { get; init; }
    /// <summary>
    /// True when no other session of the repository is active (the caller knows, the factory does not look):
    /// the runner may then remove every lock, not only the ones restic calls stale (REPOSITORY_EXCLUSIVE).
    /// </summary>
    public bool Exclusive { get; init; }
}
