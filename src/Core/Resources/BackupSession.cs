namespace Serverless.Backup.Core.Resources;

/// <summary>One backup run of a configuration (Stash's BackupSession).</summary>
public sealed class BackupSession : Resource<BackupSessionSpec, SessionStatus>
{
    public const string KindName = "BackupSession";
    public const string Plural = "backupsessions";

    public BackupSession() => Kind = KindName;
}

public sealed record BackupSessionSpec
{
    public SessionInvoker Invoker { get; init; } = new();
    /// <summary>The UTC schedule slot this session is for (null for an instant backup).</summary>
    public DateTimeOffset? ScheduledTime { get; init; }
    /// <summary>schedule or manual.</summary>
    public string Trigger { get; init; } = "schedule";
}
