namespace Serverless.Backup.Core.Environment;

/// <summary>Who the run is for: these become restic tags and label every event and metric.</summary>
public sealed record SessionSettings
{
    [Env("BACKUP_NAMESPACE", Hint = "the Kubernetes namespace of the session")]
    public string Namespace { get; init; } = "default";

    [Env("BACKUP_SESSION", Hint = "the name of the BackupSession or RestoreSession (a Kubernetes name)")]
    public string? Name { get; init; }

    [Env("BACKUP_CONFIGURATION", Hint = "the name of the BackupConfiguration the snapshots belong to")]
    public string? Configuration { get; init; }

    [Env("BACKUP_REPOSITORY_NAME", Hint = "the name of the Repository resource")]
    public string? RepositoryName { get; init; }

    /// <summary>
    /// The time recorded in the backup's snapshots instead of now (restic backup --time): for imports of older
    /// dumps and for tests of retention with a fixed clock. ISO-8601 with an offset, such as 2026-11-15T02:00:00Z.
    /// </summary>
    [Env("BACKUP_SNAPSHOT_TIME", Hint = "an ISO-8601 time with an offset such as 2026-11-15T02:00:00Z, or leave it unset for now")]
    public string? SnapshotTime { get; init; }

    /// <summary><see cref="SnapshotTime"/> parsed, in UTC; null when unset or malformed (Validate reports that).</summary>
    public DateTimeOffset? SnapshotTimeUtc =>
        SnapshotTime is { } text && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var time)
            ? time.ToUniversalTime()
            : null;

    internal void Validate(List<string> errors)
    {
        RunnerSettings.Require(errors, Name, RunnerSettings.NameOf<SessionSettings>(nameof(Name)), "the name of the session");
        if (Name is not null && !Names.IsDnsSubdomain(Name))
        {
            errors.Add($"{RunnerSettings.NameOf<SessionSettings>(nameof(Name))}='{Name}' is not valid: set it to a lower-case Kubernetes name (letters, digits, '-', '.')");
        }
        if (SnapshotTime is not null && SnapshotTimeUtc is null)
        {
            errors.Add($"{RunnerSettings.NameOf<SessionSettings>(nameof(SnapshotTime))}='{SnapshotTime}' is not valid: set it to an ISO-8601 time such as 2026-11-15T02:00:00Z, or leave it unset");
        }
    }
}
