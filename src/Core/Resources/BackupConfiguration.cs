namespace Serverless.Backup.Core.Resources;

/// <summary>A scheduled backup of one AppBinding into one Repository (Stash's BackupConfiguration).</summary>
public sealed class BackupConfiguration : Resource<BackupConfigurationSpec, BackupConfigurationStatus>
{
    public const string KindName = "BackupConfiguration";
    public const string Plural = "backupconfigurations";

    public BackupConfiguration() => Kind = KindName;
}

public sealed record BackupConfigurationSpec
{
    /// <summary>Standard 5-field cron, as in Stash.</summary>
    public string Schedule { get; init; } = "";
    /// <summary>IANA time zone of the schedule (default: the app's BACKUP_TIME_ZONE, else UTC).</summary>
    public string? TimeZone { get; init; }
    public ObjectRef Repository { get; init; } = new();
    public BackupTarget Target { get; init; } = new();
    public RetentionPolicy? RetentionPolicy { get; init; }
    public bool Paused { get; init; }
    /// <summary>Finished sessions kept per configuration (Stash's default: 1).</summary>
    public int BackupHistoryLimit { get; init; } = 1;
    /// <summary>How long one run may take, such as 30m or 2h (the Job's activeDeadlineSeconds).</summary>
    public string? TimeOut { get; init; }
    /// <summary>A missed slot older than this is not run after downtime (default 5 minutes).</summary>
    public long? StartingDeadlineSeconds { get; init; }
}

public sealed record RetentionPolicy
{
    public string? Name { get; init; }
    public int? KeepLast { get; init; }
    public int? KeepHourly { get; init; }
    public int? KeepDaily { get; init; }
    public int? KeepWeekly { get; init; }
    public int? KeepMonthly { get; init; }
    public int? KeepYearly { get; init; }
    public bool Prune { get; init; }
    public bool DryRun { get; init; }
}

public sealed record BackupConfigurationStatus
{
    public string? LastSession { get; init; }
    public DateTimeOffset? LastSuccessTime { get; init; }
    public DateTimeOffset? NextScheduleTime { get; init; }
    public DateTimeOffset? LastScheduleTime { get; init; }
    public string? LastSize { get; init; }
    public string? Message { get; init; }
}
