using System.Diagnostics;
using Serverless.Backup.Control.Resources;
using CoreNames = Serverless.Backup.Core.Names;
using Serverless.Backup.Control.Schedules;

namespace Serverless.Backup.Functions.Tests.Schedules;

/// <summary>What a resource may cost: durations, deadlines and schedules are range-checked instead of overflowing or running long.</summary>
public sealed class ResourceBoundsTests
{
    private static BackupConfiguration Configuration(Func<BackupConfigurationSpec, BackupConfigurationSpec> change) => new()
    {
        Metadata = new() { Name = "shop", NamespaceProperty = "prod" },
        Spec = change(new BackupConfigurationSpec { Schedule = "0 1 * * *", Repository = new() { Name = "blob" }, Target = new() { Ref = new() { Name = "shop-db" } } }),
    };

    [Theory]
    [InlineData("99999999999h")]
    [InlineData("721h")]
    [InlineData("43201m")]
    [InlineData("9999999999999999999999999999999999999999999999999999999999h")]
    [InlineData("1h99999999999999999999s")]
    public void A_duration_beyond_30_days_is_refused_with_the_limit_instead_of_overflowing(string text)
    {
        Assert.False(GoDuration.TryParse(text, out _, out var error));
        Assert.Contains("longer than 720h", error);
        var errors = ResourceValidation.Validate(Configuration(s => s with { TimeOut = text }));
        Assert.Contains(errors, e => e.StartsWith("spec.timeOut", StringComparison.Ordinal) && e.Contains("at most 720h", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("0s", "is zero")]
    [InlineData("-5m", "is not a duration")]
    [InlineData("5 minutes", "is not a duration")]
    [InlineData("1e9h", "is not a duration")]
    [InlineData("", "is not a duration")]
    [InlineData("30m\n", "is not a duration")]
    [InlineData("1ms", "is shorter than 1s")]
    [InlineData("0.5s", "is shorter than 1s")]
    public void A_duration_that_is_zero_negative_or_not_go_syntax_is_refused(string text, string expected)
    {
        Assert.False(GoDuration.TryParse(text, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void A_very_long_duration_text_is_refused_quickly_and_shortened_in_the_message()
    {
        var text = string.Concat(Enumerable.Repeat("1h", 50_000));
        var watch = Stopwatch.StartNew();
        var error = GoDuration.Check(text, "spec.timeOut");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5));
        Assert.NotNull(error);
        Assert.True(error.Length < 300, error);
    }

    [Theory]
    [InlineData("720h", 30 * 24 * 3600)]
    [InlineData("1h30m", 5400)]
    [InlineData("1.5s", 1.5)]
    [InlineData("1s", 1)]
    public void Durations_up_to_the_limit_parse(string text, double seconds)
    {
        Assert.True(GoDuration.TryParse(text, out var duration));
        Assert.Equal(seconds, duration.TotalSeconds, 3);
    }

    [Theory]
    [InlineData(-600)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    [InlineData(ResourceValidation.MaxStartingDeadlineSeconds + 1)]
    public void A_starting_deadline_out_of_range_names_the_field(int seconds) =>
        Assert.Contains(ResourceValidation.Validate(Configuration(s => s with { StartingDeadlineSeconds = seconds })),
            e => e.StartsWith($"spec.startingDeadlineSeconds {seconds} is out of range", StringComparison.Ordinal));

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public void A_history_limit_out_of_range_names_the_field(int limit) =>
        Assert.Contains(ResourceValidation.Validate(Configuration(s => s with { BackupHistoryLimit = limit })),
            e => e.StartsWith($"spec.backupHistoryLimit {limit} is out of range", StringComparison.Ordinal));

    [Theory]
    [InlineData("../../../../etc/passwd")]
    [InlineData("Europe/\0Berlin")]
    [InlineData("Mars/Olympus")]
    public void A_time_zone_that_is_no_zone_is_an_error_not_an_exception(string zone)
    {
        Assert.False(BackupSchedule.TryParse("0 1 * * *", zone, out _, out var error));
        Assert.StartsWith("spec.timeZone", error);
    }

    [Fact]
    public void Names_with_a_trailing_line_break_are_not_names()
    {
        Assert.False(CoreNames.IsDnsSubdomain("shop\n"));
        Assert.False(CoreNames.IsDnsLabel("prod\n"));
        Assert.False(CoreNames.IsSnapshotId("0123abcd\n"));
    }

    [Fact]
    public void A_schedule_text_of_a_megabyte_is_refused_by_its_length() =>
        Assert.False(BackupSchedule.TryParse(new string('*', 1 << 20), null, out _, out _));

    [Fact]
    public void The_most_recent_slot_of_a_minute_schedule_over_a_year_long_window_is_found_without_enumerating_the_year()
    {
        Assert.True(BackupSchedule.TryParse("* * * * *", null, out var schedule, out _));
        var now = new DateTimeOffset(2026, 11, 29, 10, 30, 20, TimeSpan.Zero);
        var watch = Stopwatch.StartNew();
        var slot = schedule!.MostRecent(now, TimeSpan.FromSeconds(ResourceValidation.MaxStartingDeadlineSeconds));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), watch.Elapsed.ToString());
        Assert.Equal(new DateTimeOffset(2026, 11, 29, 10, 30, 0, TimeSpan.Zero), slot);
    }

    [Theory]
    [InlineData("0 3 1 1 *", 400, "2026-01-01T03:00:00Z")]
    [InlineData("0 3 1 1 *", 300, null)]
    [InlineData("0 1 * * *", 1, "2026-11-29T01:00:00Z")]
    [InlineData("30 10 29 11 *", 0, null)]
    public void The_most_recent_slot_is_the_last_one_inside_the_window(string cron, int windowDays, string? expected)
    {
        Assert.True(BackupSchedule.TryParse(cron, null, out var schedule, out _));
        var now = new DateTimeOffset(2026, 11, 29, 10, 29, 0, TimeSpan.Zero);
        var slot = schedule!.MostRecent(now, TimeSpan.FromDays(windowDays));
        Assert.Equal(expected is null ? null : DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), slot);
    }

    [Theory]
    [InlineData("0 0 30 2 *")]
    [InlineData("0 0 31 4 *")]
    public void A_schedule_that_never_fires_is_refused(string cron)
    {
        Assert.False(BackupSchedule.TryParse(cron, null, out _, out var error));
        Assert.Contains("never fires", error);
    }

    [Fact]
    public void A_negative_window_has_no_slot_instead_of_throwing()
    {
        Assert.True(BackupSchedule.TryParse("* * * * *", null, out var schedule, out _));
        Assert.Null(schedule!.MostRecent(DateTimeOffset.UtcNow, TimeSpan.FromSeconds(-600)));
    }
}
