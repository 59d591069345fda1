namespace Serverless.Backup.Functions.Jobs;

/// <summary>What the JobFactory takes from the app settings.</summary>
public sealed record JobSettings
{
    public required string Image { get; init; }
    /// <summary>The app's public base URL; the runner posts to its SessionEvents route.</summary>
    public Uri? WebhookBaseUrl { get; init; }
    public Uri? PushgatewayUrl { get; init; }
    /// <summary>A service account without API permissions.</summary>
    public string ServiceAccountName { get; init; } = "backup-runner";
    public int TtlSecondsAfterFinished { get; init; } = 86400;
    /// <summary>Used when the configuration sets no timeOut.</summary>
    public TimeSpan DefaultTimeout { get; init; } = TimeSpan.FromHours(2);
    public long RunAsUser { get; init; } = 65532;
}
