using Serverless.Backup.Control.Cluster;
using Serverless.Backup.Control.Resources;

namespace Serverless.Backup.Control;

// The success bodies of the HTTP functions, as types so that the OpenAPI document (docs/openapi.json) describes
// them from the code. Null properties are left out of the JSON (SessionApi.Json).

/// <summary>TriggerBackup's and CreateRestore's 202: the session created, Pending.</summary>
public sealed record SessionStarted(string Session, string Namespace, string Phase);

/// <summary>StartMaintenance's 202: the MaintenanceSession created, Pending.</summary>
public sealed record MaintenanceStarted(string Session, string Namespace, string? Task, string Phase);

/// <summary>TriggerBackup's 409 when the repository is busy: the session was created Skipped.</summary>
public sealed record BackupSkipped(string Session, string Phase, string Error);

/// <summary>ListSessions' 200: newest first; sessions that cannot be read are listed apart (absent when none).</summary>
public sealed record SessionList(IReadOnlyList<SessionApi.SessionView> Items, IReadOnlyList<InvalidResource>? Invalid);

/// <summary>ListSnapshots' 200: Repository.status as the last runner reported it, with its newest snapshots.</summary>
public sealed record SnapshotList(
    string Namespace, string Repository, long? SnapshotCount, string? TotalSize, long? TotalSizeBytes, bool? Integrity,
    string? IntegrityMessage, DateTimeOffset? LastCheckTime, DateTimeOffset? LastBackupTime, DateTimeOffset? Updated,
    IReadOnlyList<SnapshotItem> Items);

/// <summary>
/// A snapshot of ListSnapshots: as Repository.status lists it, and whether its configuration's last verification
/// succeeded and proved it (verified, with that verification's time); otherwise it is not verified.
/// </summary>
public sealed record SnapshotItem(
    string? Id, DateTimeOffset? Time, string? Database, string? Session, string? Configuration, long? Size, bool Verified, DateTimeOffset? VerifiedTime);

/// <summary>SessionEvents' 200: the event was applied.</summary>
public sealed record EventAccepted(string Message);
