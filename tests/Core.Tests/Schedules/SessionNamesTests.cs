using Serverless.Backup.Core.Schedules;

namespace Serverless.Backup.Core.Tests.Schedules;

public sealed class SessionNamesTests
{
    [Fact]
    public void A_slot_session_is_named_after_the_configuration_and_the_utc_minute()
    {
        var slot = new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.FromHours(1));
        Assert.Equal("shop-202611240100", SessionNames.ForSlot("shop", slot));
    }

    [Fact]
    public void A_long_configuration_name_is_cut_to_a_valid_label_with_a_hash_that_keeps_names_apart()
    {
        var slot = new DateTimeOffset(2026, 11, 24, 1, 0, 0, TimeSpan.Zero);
        var a = SessionNames.ForSlot(new string('a', 60) + "-one", slot);
        var b = SessionNames.ForSlot(new string('a', 60) + "-two", slot);
        Assert.True(a.Length <= 63);
        Assert.True(Names.IsDnsLabel(a), a);
        Assert.True(Names.IsDnsLabel(SessionNames.JobFor(a)));
        Assert.EndsWith("-202611240100", a);
        Assert.NotEqual(a, b);
    }
}
