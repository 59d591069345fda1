using Serverless.Backup.Core;

namespace Serverless.Backup.Control.Resources;

/// <summary>What to back up, where, when and how long to keep it (Stash's BackupConfiguration, same field names).</summary>
public sealed class BackupConfiguration : CustomResource<BackupConfigurationSpec, BackupConfigurationStatus>
{
    public BackupConfiguration()
    {
        ApiVersion = Api.ApiVersion;
        Kind = ResourceType.BackupConfiguration.Kind;
    }
}

public sealed record BackupConfigurationSpec
{
    /// <summary>Standard 5-field cron, as in Stash.</summary>
    public string? Schedule { get; init; }
    /// <summary>IANA time zone of the schedule (default: the app's BACKUP_TIME_ZONE, else UTC).</summary>
    public string? TimeZone { get; init; }
    public ObjectReference Repository { get; init; } = new();
    public TargetSpec Target { get; init; } = new();
    public RetentionPolicy? RetentionPolicy { get; init; }
    public bool Paused { get; init; }
    /// <summary>Finished sessions kept per configuration (Stash's default: 1).</summary>
    public int BackupHistoryLimit { get; init; } = 1;
    /// <summary>Session deadline, a Go-style duration such as "30m" or "2h" (the Job's activeDeadlineSeconds).</summary>
    public string? TimeOut { get; init; }
    /// <summary>A missed slot older than this is not run after downtime (default 600 s).</summary>
    public int? StartingDeadlineSeconds { get; init; }
    /// <summary>The schedule and checks of restore verification, or null for none on a schedule.</summary>
    public VerificationSpec? Verification { get; init; }
    /// <summary>Binary-log archiving and point-in-time restores, or null for none.</summary>
    public PointInTimeSpec? PointInTime { get; init; }
}

public sealed record ObjectReference
{
    public string? Name { get; init; }
    public string? Namespace { get; init; }
}

public sealed record TargetSpec
{
    public TargetRef Ref { get; init; } = new();
    /// <summary>The databases to dump (default: every user database).</summary>
    public List<string>? Databases { get; init; }
    /// <summary>Extra mysqldump arguments.</summary>
    public List<string>? Args { get; init; }
}

public sealed record TargetRef
{
    public string ApiVersion { get; init; } = "appcatalog.appscode.com/v1alpha1";
    public string Kind { get; init; } = "AppBinding";
    public string? Name { get; init; }
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
    public List<string>? KeepTags { get; init; }
    public bool Prune { get; init; }
    public bool DryRun { get; init; }
}

public sealed record BackupConfigurationStatus
{
    public string? LastSession { get; init; }
    public string? LastSessionPhase { get; init; }
    public DateTimeOffset? LastSuccessTime { get; init; }
    public DateTimeOffset? NextScheduleTime { get; init; }
    public DateTimeOffset? LastScheduleTime { get; init; }
    /// <summary>Why the configuration cannot run (invalid schedule, unknown repository…), or null.</summary>
    public string? Error { get; init; }
    /// <summary>Ready, or Invalid while a field is wrong (the Valid condition and <see cref="Error"/> say which).</summary>
    public string? Phase { get; init; }
    public List<ResourceCondition>? Conditions { get; init; }
    /// <summary>The verification schedule slot a verify session was last created for (MaintenanceTick's mark).</summary>
    public DateTimeOffset? LastVerificationScheduleTime { get; init; }
    public VerificationStatus? LastVerification { get; init; }
    /// <summary>
    /// The snapshots whose latest verification proved them (newest first, at most
    /// <see cref="VerifiedSnapshot.MaxKept"/>): a later failed verification of a snapshot takes it off.
    /// </summary>
    public List<VerifiedSnapshot>? VerifiedSnapshots { get; init; }
    /// <summary>The archive schedule slot an archive session was last created for (ScheduleTick's mark).</summary>
    public DateTimeOffset? LastArchiveScheduleTime { get; init; }
    public PointInTimeStatus? PointInTime { get; init; }
}
