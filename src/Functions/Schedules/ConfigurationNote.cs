using Serverless.Backup.Core.Resources;

namespace Serverless.Backup.Functions.Schedules;

/// <summary>What a tick learned about one configuration: its next slot, or why it cannot be scheduled (naming the field).</summary>
public sealed record ConfigurationNote(BackupConfiguration Configuration, DateTimeOffset? NextScheduleTime, string? Error);
