using Serverless.Backup.Core;

namespace Serverless.Backup.Control.Resources;

/// <summary>The phases of a session; they only move forward (Pending → Running → Succeeded/Failed).</summary>
public static class SessionPhase
{
    public const string Pending = "Pending";
    public const string Running = "Running";
    public const string Succeeded = "Succeeded";
    public const string Failed = "Failed";
    public const string Skipped = "Skipped";

    public static bool IsFinished(string? phase) => phase is Succeeded or Failed or Skipped;

    /// <summary>Whether a session in <paramref name="from"/> may move to <paramref name="to"/>.</summary>
    public static bool CanMove(string? from, string to) => (from ?? Pending, to) switch
    {
        (Pending, Running or Succeeded or Failed or Skipped) => true,
        (Running, Succeeded or Failed) => true,
        _ => false,
    };
}

/// <summary>One run of a BackupConfiguration (Stash's BackupSession).</summary>
public sealed class BackupSession : CustomResource<BackupSessionSpec, SessionStatus>
{
    public BackupSession()
    {
        ApiVersion = Api.ApiVersion;
        Kind = ResourceType.BackupSession.Kind;
    }
}

public sealed record BackupSessionSpec
{
    public Invoker Invoker { get; init; } = new();
    /// <summary>The schedule slot this session is for (UTC), or null for an instant backup.</summary>
    public DateTimeOffset? ScheduledFor { get; init; }
}

public sealed record Invoker
{
    public string ApiGroup { get; init; } = Api.Group;
    public string Kind { get; init; } = "BackupConfiguration";
    public string? Name { get; init; }
}

/// <summary>A restore of snapshots into a database (Stash's RestoreSession, with the database choices this system adds).</summary>
public sealed class RestoreSession : CustomResource<RestoreSessionSpec, SessionStatus>
{
    public RestoreSession()
    {
        ApiVersion = Api.ApiVersion;
        Kind = ResourceType.RestoreSession.Kind;
    }
}

public sealed record RestoreSessionSpec
{
    public ObjectReference Repository { get; init; } = new();
    public TargetSpec Target { get; init; } = new();
    /// <summary>Restore the snapshots of this BackupSession …</summary>
    public string? FromSession { get; init; }
    /// <summary>… or these snapshot ids, or ["latest"] (the default).</summary>
    public List<string>? Snapshots { get; init; }
    /// <summary>Source databases to restore (default: all of the snapshots').</summary>
    public List<string>? Databases { get; init; }
    /// <summary>Restore a source database into another name.</summary>
    public Dictionary<string, string>? Rename { get; init; }
    /// <summary>
    /// Allow writing into a target database that exists and holds tables, views, routines or events (their tables
    /// are replaced). Off by default: such a restore fails before anything is written.
    /// </summary>
    public bool Overwrite { get; init; }
    public string? TimeOut { get; init; }
    /// <summary>
    /// Restore to this second (an RFC 3339 time with an offset) or "latest" instead of to snapshots: the newest full
    /// dump before it, then the archived binary logs replayed up to it (spec.pointInTime of the configuration).
    /// </summary>
    public string? PointInTime { get; init; }
    /// <summary>
    /// The BackupConfiguration whose dumps and binary logs a point-in-time restore uses; may be left out when exactly
    /// one configuration of the namespace archives into the repository.
    /// </summary>
    public string? Configuration { get; init; }
}

/// <summary>
/// A repository maintenance run (restic check, forget of one configuration's retention, unlock): a runner Job
/// dispatched like a backup, under the same "one active session per repository" rule. The check schedule of a
/// Repository creates these; so does the HTTP API.
/// </summary>
public sealed class MaintenanceSession : CustomResource<MaintenanceSessionSpec, SessionStatus>
{
    public MaintenanceSession()
    {
        ApiVersion = Api.ApiVersion;
        Kind = ResourceType.MaintenanceSession.Kind;
    }
}

public static class MaintenanceTask
{
    public const string Check = "check";
    public const string Forget = "forget";
    public const string Unlock = "unlock";
    /// <summary>Restore a configuration's newest snapshots into scratch databases and prove them equal; it only reads the repository.</summary>
    public const string Verify = "verify";
    /// <summary>Store the binary logs closed since the last run (point-in-time recovery); beside backups, one at a time per repository.</summary>
    public const string Archive = "archive";

    public static readonly IReadOnlyList<string> All = [Check, Forget, Unlock, Verify, Archive];

    /// <summary>Whether the task needs the repository alone (check, forget, unlock); verify and archive work beside backups.</summary>
    public static bool IsExclusive(string? task) => task is not (Verify or Archive);

    /// <summary>The tasks that work for one BackupConfiguration (spec.configuration).</summary>
    public static bool NeedsConfiguration(string? task) => task is Forget or Verify or Archive;
}

public sealed record MaintenanceSessionSpec
{
    public ObjectReference Repository { get; init; } = new();
    /// <summary>check, forget or unlock (<see cref="MaintenanceTask"/>).</summary>
    public string? Task { get; init; }
    /// <summary>check: restic's --read-data-subset (default: the Repository's spec.check.readDataSubset).</summary>
    public string? ReadDataSubset { get; init; }
    /// <summary>forget: the BackupConfiguration whose retention policy to apply; verify: the one whose backups to verify.</summary>
    public string? Configuration { get; init; }
    /// <summary>The check (or verification) schedule slot this session is for (UTC), or null when started by hand.</summary>
    public DateTimeOffset? ScheduledFor { get; init; }
    public string? TimeOut { get; init; }
}

/// <summary>The status of a BackupSession, RestoreSession or MaintenanceSession.</summary>
public sealed record SessionStatus
{
    public string? Phase { get; init; }
    /// <summary>A machine-readable reason (the runner's failure reason, JobFailed, DeadlineExceeded, JobDisappeared, RepositoryBusy…).</summary>
    public string? Reason { get; init; }
    public string? Message { get; init; }
    public DateTimeOffset? StartTime { get; init; }
    public DateTimeOffset? CompletionTime { get; init; }
    public string? SessionDuration { get; init; }
    public DateTimeOffset? SessionDeadline { get; init; }
    public string? JobName { get; init; }
    public SessionProgress? Progress { get; init; }
    /// <summary>Unix seconds of the signature of the newest webhook event accepted.</summary>
    public long? LastEventTimestamp { get; init; }
    /// <summary>
    /// The runner's sequence number of the newest event accepted: an event must come after it (a higher sequence,
    /// or the same with a later signature), so a replay, even from the same second, changes nothing.
    /// </summary>
    public long? LastEventSequence { get; init; }
    public List<DatabaseStats>? Stats { get; init; }
    /// <summary>What retention kept and removed after a backup (or a forget session).</summary>
    public RetentionStatus? Retention { get; init; }
    /// <summary>A problem that did not fail the session (for example retention that failed after a good backup).</summary>
    public string? Warning { get; init; }
}

public sealed record RetentionStatus
{
    public int Kept { get; init; }
    public int Removed { get; init; }
    public bool DryRun { get; init; }
    public bool Pruned { get; init; }
}

public sealed record SessionProgress
{
    public string? Database { get; init; }
    public long BytesDone { get; init; }
    public long TotalBytesDone { get; init; }
    public DateTimeOffset? Updated { get; init; }
}

/// <summary>One database of a session (Stash's stats[].snapshots[], with our stream figures).</summary>
public sealed record DatabaseStats
{
    public string? Database { get; init; }
    public string? SnapshotId { get; init; }
    public long Bytes { get; init; }
    public string? Sha256 { get; init; }
    public long Uploaded { get; init; }
    public string? ProcessingTime { get; init; }
    public string? RestoredInto { get; init; }
}
