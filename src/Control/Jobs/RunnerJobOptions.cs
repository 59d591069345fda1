namespace Serverless.Backup.Control.Jobs;

/// <summary>How runner Jobs are built (from the app settings).</summary>
public sealed record RunnerJobOptions
{
    /// <summary>The runner image (BACKUP_RUNNER_IMAGE).</summary>
    public required string Image { get; init; }
    /// <summary>The base URL the runner calls back (BACKUP_WEBHOOK_BASE_URL); the route is appended.</summary>
    public string? WebhookBaseUrl { get; init; }
    public string? PushgatewayUrl { get; init; }
    /// <summary>The runner's ServiceAccount: no API permissions; annotated for Azure workload identity when used.</summary>
    public string ServiceAccountName { get; init; } = "mysql-backup-runner";
    public TimeSpan DefaultTimeout { get; init; } = TimeSpan.FromHours(2);
    public int TtlSecondsAfterFinished { get; init; } = 86400;
    public long RunAsUser { get; init; } = 65532;
}
