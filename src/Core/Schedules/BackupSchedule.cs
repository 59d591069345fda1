using Cronos;

namespace Serverless.Backup.Core.Schedules;

/// <summary>A standard 5-field cron schedule (as in Stash) in a time zone.</summary>
public sealed class BackupSchedule
{
    private readonly CronExpression _cron;
    private readonly TimeZoneInfo _zone;

    private BackupSchedule(CronExpression cron, TimeZoneInfo zone, string text)
    {
        _cron = cron;
        _zone = zone;
        Text = text;
    }

    public string Text { get; }

    /// <summary>Parses the schedule; the error names the field and shows what a valid one looks like.</summary>
    public static bool TryParse(string? schedule, string? timeZone, out BackupSchedule? result, out string? error)
    {
        result = null;
        error = null;
        if (string.IsNullOrWhiteSpace(schedule))
        {
            error = "spec.schedule is empty: set a 5-field cron schedule such as \"0 1 * * *\" (01:00 every day)";
            return false;
        }
        TimeZoneInfo zone;
        try
        {
            zone = string.IsNullOrWhiteSpace(timeZone) ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        }
        catch (TimeZoneNotFoundException)
        {
            error = $"spec.timeZone '{timeZone}' is not a known time zone: use an IANA name such as Europe/Berlin, or leave it empty for UTC";
            return false;
        }
        try
        {
            // Standard cron (5 fields), plus the @hourly/@daily… macros Stash accepts.
            result = new BackupSchedule(CronExpression.Parse(schedule.Trim(), CronFormat.Standard), zone, schedule.Trim());
            return true;
        }
        catch (CronFormatException e)
        {
            error = $"spec.schedule '{schedule}' is not a valid cron schedule ({e.Message}): use 5 fields, minute hour day-of-month month day-of-week, such as \"*/30 * * * *\"";
            return false;
        }
    }

    /// <summary>The next slot strictly after <paramref name="after"/>.</summary>
    public DateTimeOffset? Next(DateTimeOffset after) => _cron.GetNextOccurrence(after, _zone);

    /// <summary>The most recent slot at or before <paramref name="now"/>, looking back at most <paramref name="window"/>.</summary>
    public DateTimeOffset? MostRecent(DateTimeOffset now, TimeSpan window)
    {
        DateTimeOffset? last = null;
        foreach (var slot in _cron.GetOccurrences(now - window, now, _zone, fromInclusive: true, toInclusive: true))
        {
            last = slot;
        }
        return last;
    }

    /// <summary>The typical time between two slots (from the next two), for freshness alerts.</summary>
    public TimeSpan Interval(DateTimeOffset from)
    {
        var first = Next(from);
        var second = first is { } f ? Next(f) : null;
        return first is { } a && second is { } b ? b - a : TimeSpan.FromDays(1);
    }
}
