using Cronos;

using Serverless.Backup.Core;

namespace Serverless.Backup.Control.Schedules;

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
        if (schedule.Length > MaxLength)
        {
            error = $"spec.schedule is {schedule.Length} characters long: a 5-field cron schedule such as \"0 1 * * *\" needs at most {MaxLength}";
            return false;
        }
        TimeZoneInfo zone;
        try
        {
            zone = string.IsNullOrWhiteSpace(timeZone) ? TimeZoneInfo.Utc
                : timeZone.Length <= 64 ? TimeZoneInfo.FindSystemTimeZoneById(timeZone)
                : throw new TimeZoneNotFoundException();
        }
        // Not only TimeZoneNotFoundException: a name with odd characters or a damaged zone file throws others.
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException or IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            error = $"spec.timeZone '{GoDuration.Shorten(timeZone)}' is not a known time zone: use an IANA name such as Europe/Berlin, or leave it empty for UTC";
            return false;
        }
        try
        {
            // Standard cron (5 fields), plus the @hourly/@daily… macros Stash accepts.
            result = new BackupSchedule(CronExpression.Parse(schedule.Trim(), CronFormat.Standard), zone, schedule.Trim());
            // A date that never comes (30 February) parses, and then the configuration would never run.
            if (result.Next(DateTimeOffset.UtcNow) is null)
            {
                result = null;
                error = $"spec.schedule '{schedule}' never fires (no such date): correct the day of month or the month";
                return false;
            }
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

    /// <summary>
    /// The most recent slot at or before <paramref name="now"/>, looking back at most <paramref name="window"/>.
    /// Cronos only enumerates forwards, and a minute schedule over a long window has millions of slots, so the
    /// search looks back over windows that double in length (1 minute, 2, 4 …): the first that holds a slot holds
    /// the most recent one, and no part before it holds any, so the work is bounded by the slots of one window.
    /// </summary>
    public DateTimeOffset? MostRecent(DateTimeOffset now, TimeSpan window)
    {
        if (window < TimeSpan.Zero)
        {
            return null;
        }
        var end = now;
        for (var span = TimeSpan.FromMinutes(1); ; span *= 2)
        {
            var last = span >= window;
            var start = last ? now - window : now - span;
            DateTimeOffset? found = null;
            foreach (var slot in _cron.GetOccurrences(start, end, _zone, fromInclusive: true, toInclusive: true))
            {
                found = slot;
            }
            if (found is not null || last)
            {
                return found;
            }
            end = start;
        }
    }

    /// <summary>The longest schedule text accepted (a cron line is a few dozen characters).</summary>
    public const int MaxLength = 256;

    /// <summary>The typical time between two slots (from the next two), for freshness alerts.</summary>
    public TimeSpan Interval(DateTimeOffset from)
    {
        var first = Next(from);
        var second = first is { } f ? Next(f) : null;
        return first is { } a && second is { } b ? b - a : TimeSpan.FromDays(1);
    }
}
