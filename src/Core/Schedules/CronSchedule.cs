using Cronos;

namespace Serverless.Backup.Core.Schedules;

/// <summary>A standard 5-field cron schedule (as in Stash) in a time zone; slots are reported in UTC.</summary>
public sealed class CronSchedule
{
    private readonly CronExpression expression;

    public CronSchedule(CronExpression expression, TimeZoneInfo timeZone, string text)
    {
        this.expression = expression;
        TimeZone = timeZone;
        Text = text;
    }

    public TimeZoneInfo TimeZone { get; }

    public string Text { get; }

    /// <summary>Parses <paramref name="cron"/> in <paramref name="timeZone"/> (IANA id, default UTC); the error names <paramref name="field"/> and the fix.</summary>
    public static CronSchedule Parse(string? cron, string? timeZone, string field = "spec.schedule", string timeZoneField = "spec.timeZone")
    {
        if (string.IsNullOrWhiteSpace(cron))
        {
            throw new ScheduleException($"{field} is empty: set it to a 5-field cron expression such as '0 1 * * *'");
        }
        var fields = cron.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5 && !cron.TrimStart().StartsWith('@'))
        {
            throw new ScheduleException($"{field}='{cron}' has {fields.Length} fields: use standard 5-field cron (minute hour day month weekday) such as '0 1 * * *'");
        }
        CronExpression parsed;
        try
        {
            parsed = CronExpression.Parse(cron.Trim(), CronFormat.Standard);
        }
        catch (CronFormatException e)
        {
            throw new ScheduleException($"{field}='{cron}' is not a valid cron expression ({e.Message}): use 5 fields such as '0 1 * * *'", e);
        }
        TimeZoneInfo zone;
        if (string.IsNullOrWhiteSpace(timeZone))
        {
            zone = TimeZoneInfo.Utc;
        }
        else
        {
            try
            {
                zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone.Trim());
            }
            catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                throw new ScheduleException($"{timeZoneField}='{timeZone}' is not a known time zone: use an IANA id such as Europe/Berlin or UTC", e);
            }
        }
        return new CronSchedule(parsed, zone, cron.Trim());
    }

    /// <summary>The first slot strictly after <paramref name="after"/>, in UTC.</summary>
    public DateTimeOffset? Next(DateTimeOffset after) =>
        expression.GetNextOccurrence(after.UtcDateTime, TimeZone) is { } next ? new DateTimeOffset(next, TimeSpan.Zero) : null;

    /// <summary>
    /// The most recent slot at or before <paramref name="now"/> and after <paramref name="notBefore"/> (the earlier missed ones are dropped), in UTC.
    /// </summary>
    public DateTimeOffset? LatestDue(DateTimeOffset notBefore, DateTimeOffset now)
    {
        if (now < notBefore)
        {
            return null;
        }
        DateTimeOffset? latest = null;
        foreach (var slot in expression.GetOccurrences(notBefore.UtcDateTime, now.UtcDateTime, TimeZone, fromInclusive: false, toInclusive: true))
        {
            latest = new DateTimeOffset(slot, TimeSpan.Zero);
        }
        return latest;
    }
}
