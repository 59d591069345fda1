namespace Serverless.Backup.Core.Schedules;

/// <summary>A schedule or time zone that cannot be used; the message names the field and the fix.</summary>
public sealed class ScheduleException(string message, Exception? inner = null) : Exception(message, inner);
