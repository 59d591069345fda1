using Serverless.Backup.Core.Resources;

namespace Serverless.Backup.Functions.Schedules;

/// <summary>
/// What one ScheduleTick does: sessions to create (Pending, or Skipped with a reason whose status is written right
/// after the create), finished sessions past the history limit to delete, and a note per configuration.
/// </summary>
public sealed record TickPlan(IReadOnlyList<BackupSession> ToCreate, IReadOnlyList<BackupSession> ToDelete, IReadOnlyList<ConfigurationNote> Notes);
