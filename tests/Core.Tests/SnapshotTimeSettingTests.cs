using Serverless.Backup.Core.Environment;

namespace Serverless.Backup.Core.Tests;

public sealed class SnapshotTimeSettingTests
{
    private static RunnerSettings With(string? snapshotTime) => new()
    {
        Session = new() { Name = "shop-1", SnapshotTime = snapshotTime },
        Database = new() { Host = "db", User = "root" },
        Repository = new() { Backend = RepositoryBackend.Local, Path = "/repo", Password = "pw" },
    };

    [Fact]
    public void A_snapshot_time_with_an_offset_is_read_in_UTC()
    {
        var settings = With("2026-11-15T03:00:00+01:00");

        Assert.Empty(settings.Validate(RunnerVerb.Backup));
        Assert.Equal(new DateTimeOffset(2026, 11, 15, 2, 0, 0, TimeSpan.Zero), settings.Session.SnapshotTimeUtc);
        Assert.Equal(TimeSpan.Zero, settings.Session.SnapshotTimeUtc!.Value.Offset);
    }

    [Fact]
    public void A_malformed_snapshot_time_is_rejected_naming_the_variable()
    {
        var error = Assert.Single(With("yesterday").Validate(RunnerVerb.Backup));

        Assert.Contains("BACKUP_SNAPSHOT_TIME='yesterday' is not valid", error);
        Assert.Contains("ISO-8601", error);
    }

    [Fact]
    public void No_snapshot_time_means_now()
    {
        Assert.Null(With(null).Session.SnapshotTimeUtc);
    }
}
