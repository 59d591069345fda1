using Serverless.Backup.Core.Resources;

namespace Serverless.Backup.Functions.Jobs;

/// <summary>Everything a runner Job is built from. Exactly one of <see cref="Backup"/> and <see cref="Restore"/> is set.</summary>
public sealed record JobRequest
{
    public BackupSession? Backup { get; init; }
    public BackupConfiguration? Configuration { get; init; }
    public RestoreSession? Restore { get; init; }
    public required Repository Repository { get; init; }
    public required AppBinding AppBinding { get; init; }
    /// <summary>The per-session Secret holding WEBHOOK_TOKEN.</summary>
    public required string SessionSecretName { get; init; }
}
