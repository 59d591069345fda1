using Serverless.Backup.Core.Schedules;

namespace Serverless.Backup.Core.Tests.Schedules;

public sealed class CronScheduleTests
{
    [Fact]
    public void The_next_slot_of_a_nightly_schedule_is_at_one_in_the_morning_utc()
    {
        var schedule = CronSchedule.Parse("0 1 * * *", null);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 1, 0, 0, TimeSpan.Zero), schedule.Next(new DateTimeOffset(2026, 11, 24, 1, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void A_schedule_in_a_time_zone_reports_its_slots_in_utc()
    {
        var schedule = CronSchedule.Parse("0 1 * * *", "Europe/Berlin");
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero), schedule.Next(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void After_downtime_only_the_most_recent_missed_slot_is_due()
    {
        var schedule = CronSchedule.Parse("*/15 * * * *", null);
        var due = schedule.LatestDue(new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 24, 2, 7, 0, TimeSpan.Zero));
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero), due);
        Assert.Null(schedule.LatestDue(new DateTimeOffset(2026, 11, 24, 2, 1, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 24, 2, 7, 0, TimeSpan.Zero)));
    }

    [Theory]
    [InlineData("0 0 1 * * *", "spec.schedule", "5-field")]
    [InlineData("61 * * * *", "spec.schedule", "not a valid cron")]
    [InlineData("", "spec.schedule", "is empty")]
    public void An_invalid_cron_names_the_field_and_the_fix(string cron, string field, string fragment)
    {
        var e = Assert.Throws<ScheduleException>(() => CronSchedule.Parse(cron, null));
        Assert.Contains(field, e.Message);
        Assert.Contains(fragment, e.Message);
        Assert.Contains("0 1 * * *", e.Message);
    }

    [Fact]
    public void An_unknown_time_zone_names_the_field_and_the_fix()
    {
        var e = Assert.Throws<ScheduleException>(() => CronSchedule.Parse("0 1 * * *", "Mars/Olympus"));
        Assert.Contains("spec.timeZone='Mars/Olympus'", e.Message);
        Assert.Contains("IANA", e.Message);
    }
}
