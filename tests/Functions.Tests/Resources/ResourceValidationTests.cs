using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Schedules;

namespace Serverless.Backup.Functions.Tests.Resources;

public sealed class ResourceValidationTests
{
    private static BackupConfiguration Configuration(Func<BackupConfigurationSpec, BackupConfigurationSpec>? change = null)
    {
        var spec = new BackupConfigurationSpec
        {
            Schedule = "0 1 * * *",
            Repository = new() { Name = "blob" },
            Target = new() { Ref = new() { Name = "shop-db" } },
            RetentionPolicy = new() { KeepDaily = 7 },
        };
        return new BackupConfiguration { Metadata = new() { Name = "shop", NamespaceProperty = "prod" }, Spec = change is null ? spec : change(spec) };
    }

    [Fact]
    public void A_valid_configuration_has_no_errors() => Assert.Empty(ResourceValidation.Validate(Configuration()));

    [Theory]
    [InlineData("61 * * * *", "spec.schedule '61 * * * *' is not a valid cron schedule")]
    [InlineData("", "spec.schedule is empty")]
    [InlineData("0 0 1 * * *", "spec.schedule '0 0 1 * * *' is not a valid cron schedule")]
    public void An_invalid_cron_names_the_field(string schedule, string expected) =>
        Assert.Contains(ResourceValidation.Validate(Configuration(s => s with { Schedule = schedule })), e => e.StartsWith(expected, StringComparison.Ordinal));

    [Fact]
    public void An_unknown_time_zone_names_the_field() =>
        Assert.Contains(ResourceValidation.Validate(Configuration(s => s with { TimeZone = "Mars/Olympus" })), e => e.StartsWith("spec.timeZone 'Mars/Olympus'", StringComparison.Ordinal));

    [Fact]
    public void A_retention_policy_that_keeps_nothing_is_rejected_before_it_deletes_everything()
    {
        var errors = ResourceValidation.Validate(Configuration(s => s with { RetentionPolicy = new() { KeepLast = 0, KeepDaily = -1, Prune = true } }));

        Assert.Contains(errors, e => e.StartsWith("spec.retentionPolicy keeps nothing", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("spec.retentionPolicy.keepDaily -1 is negative", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Shop_DB")]
    [InlineData("-bad")]
    public void Invalid_kubernetes_names_are_named(string name)
    {
        var errors = ResourceValidation.Validate(Configuration(s => s with { Repository = new() { Name = name } }));
        Assert.Contains(errors, e => e.StartsWith($"spec.repository.name '{name}' is not a valid Kubernetes name", StringComparison.Ordinal));
    }

    [Fact]
    public void A_restore_with_both_a_session_and_snapshot_ids_is_rejected()
    {
        var restore = new RestoreSession
        {
            Metadata = new() { Name = "r1" },
            Spec = new() { Repository = new() { Name = "blob" }, Target = new() { Ref = new() { Name = "db" } }, FromSession = "s1", Snapshots = ["abcdef12", "xyz"] },
        };
        var errors = ResourceValidation.Validate(restore);
        Assert.Contains(errors, e => e.StartsWith("spec.fromSession and spec.snapshots are both set", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("spec.snapshots has 'xyz'", StringComparison.Ordinal));
    }

    [Fact]
    public void Schedules_give_slots_in_their_time_zone_and_an_interval()
    {
        Assert.True(BackupSchedule.TryParse("30 2 * * *", "Europe/Berlin", out var schedule, out _));
        var now = new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

        Assert.Equal(new DateTimeOffset(2026, 11, 25, 1, 30, 0, TimeSpan.Zero), schedule!.Next(now)!.Value.ToUniversalTime());
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 1, 30, 0, TimeSpan.Zero), schedule.MostRecent(now, TimeSpan.FromDays(2))!.Value.ToUniversalTime());
        Assert.Equal(TimeSpan.FromDays(1), schedule.Interval(now));
    }

    [Theory]
    [InlineData("30m", 1800)]
    [InlineData("1h30m", 5400)]
    [InlineData("90s", 90)]
    public void Durations_parse_as_kubernetes_writes_them(string text, int seconds)
    {
        Assert.True(GoDuration.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }

    [Fact]
    public void Phases_only_move_forward()
    {
        Assert.True(SessionPhase.CanMove(null, SessionPhase.Running));
        Assert.True(SessionPhase.CanMove(SessionPhase.Running, SessionPhase.Succeeded));
        Assert.False(SessionPhase.CanMove(SessionPhase.Succeeded, SessionPhase.Running));
        Assert.False(SessionPhase.CanMove(SessionPhase.Failed, SessionPhase.Succeeded));
        Assert.False(SessionPhase.CanMove(SessionPhase.Running, SessionPhase.Pending));
    }
}
