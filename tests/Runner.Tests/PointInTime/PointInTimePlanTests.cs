using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.PointInTime;
using Serverless.Backup.Runner.Restic;
using Serverless.Backup.Runner.Restore;

namespace Serverless.Backup.Runner.Tests.PointInTime;

/// <summary>How a point-in-time restore chooses its dump and logs, or refuses, from the repository's tags alone.</summary>
public sealed class PointInTimePlanTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Now = Noon.AddHours(2);
    private static int _ids;

    private static string NewId() => Interlocked.Increment(ref _ids).ToString("x64");

    private static ResticSnapshot Dump(string database, DateTimeOffset time, string file, long position, string configuration = "shop") => new()
    {
        Id = NewId(), Time = time, Paths = ["/" + ResticTags.FileName(database)],
        Tags = [.. ResticTags.OfRun(new SessionSettings { Namespace = "prod", Name = "s-1", Configuration = configuration }, database),
            .. BinlogCatalog.TagsOf(new BinlogPosition(file, position, 1, "0-1-10"))],
    };

    private static ResticSnapshot Log(int sequence, DateTimeOffset first, DateTimeOffset last, string configuration = "shop") => new()
    {
        Id = NewId(), Time = last, Paths = [BinlogCatalog.PathOf($"mysql-bin.{sequence:000000}")],
        Tags = [.. BinlogCatalog.TagsOf(new ArchivedBinlog($"mysql-bin.{sequence:000000}", first, last, 1000, 1), "a-1", "prod", configuration)],
    };

    private static RunnerSettings Settings(RestoreSettings restore) => new()
    {
        Session = new() { Namespace = "prod", Name = "r-1", Configuration = "shop" },
        Restore = restore,
    };

    private static RunnerFailure Refused(RestoreSettings restore, IReadOnlyList<ResticSnapshot> snapshots) =>
        Assert.Throws<RunnerFailure>(() => PointInTimeRestore.Plan(Settings(restore), snapshots, Now));

    private static readonly ResticSnapshot[] History =
    [
        Dump("shop", Noon.AddMilliseconds(700), "mysql-bin.000001", 500),
        Log(1, Noon.AddMinutes(-5), Noon.AddMinutes(10)),
        Log(2, Noon.AddMinutes(10), Noon.AddMinutes(20)),
        Log(3, Noon.AddMinutes(20), Noon.AddMinutes(30)),
        Dump("shop", Noon.AddMinutes(25), "mysql-bin.000003", 900),
        Dump("crm", Noon.AddMinutes(1), "mysql-bin.000001", 800),
    ];

    [Fact]
    public void A_dump_counts_from_the_second_it_was_taken_in()
    {
        var plan = PointInTimeRestore.Plan(Settings(new() { PointInTime = "2026-11-29T12:00:00Z", Databases = ["shop"] }), History, Now);

        var step = Assert.Single(plan.Steps);
        Assert.Equal(History[0].Id, step.Dump.Id);
        Assert.Equal(500, step.Position.Position);
        Assert.Equal(["mysql-bin.000001"], step.Logs.Select(l => l.File));
        Assert.Equal(Noon, plan.Report.Windows[0].Start);
    }

    [Fact]
    public void The_newest_dump_before_the_time_is_rolled_forward_through_the_logs_up_to_the_first_that_starts_after_it()
    {
        var plan = PointInTimeRestore.Plan(Settings(new() { PointInTime = "2026-11-29T13:15:00+01:00" }), History, Now);

        Assert.Equal(Noon.AddMinutes(15), plan.Time);
        Assert.Equal(["crm", "shop"], plan.Steps.Select(s => s.Dump.Database));
        var shop = plan.Steps[1];
        Assert.Equal(History[0].Id, shop.Dump.Id);
        Assert.Equal(["mysql-bin.000001", "mysql-bin.000002"], shop.Logs.Select(l => l.File));
        Assert.Equal(Noon.AddMinutes(15), plan.Report.RestoredTo);

        var later = PointInTimeRestore.Plan(Settings(new() { PointInTime = "2026-11-29T12:26:00Z", Databases = ["shop"] }), History, Now);
        Assert.Equal(History[4].Id, later.Steps[0].Dump.Id);
        Assert.Equal(900, later.Steps[0].Position.Position);
        Assert.Equal(["mysql-bin.000003"], later.Steps[0].Logs.Select(l => l.File));
    }

    [Fact]
    public void Latest_is_the_last_archived_event()
    {
        var plan = PointInTimeRestore.Plan(Settings(new() { PointInTime = "latest" }), History, Now);

        Assert.Equal(Noon.AddMinutes(30), plan.Time);
        Assert.Equal(Noon.AddMinutes(30), plan.Report.RestoredTo);
    }

    [Fact]
    public void A_missing_log_is_a_gap_and_another_configurations_log_does_not_fill_it()
    {
        ResticSnapshot[] snapshots = [History[0], History[1], History[3], Log(2, Noon.AddMinutes(10), Noon.AddMinutes(20), configuration: "other")];

        var refused = Refused(new() { PointInTime = "2026-11-29T12:15:00Z" }, snapshots);

        Assert.Equal(FailureReason.PointInTimeNotRecoverable, refused.Reason);
        Assert.StartsWith("RESTORE_POINT_IN_TIME 2026-11-29T12:15:00Z cannot be restored to: it falls inside a gap in the binary logs of 'shop': binary logs mysql-bin.000002 to mysql-bin.000002 are missing", refused.Message);
        Assert.Contains("recoverable window: 2026-11-29T12:00:00Z to 2026-11-29T12:10:00Z", refused.Message);
        Assert.Single(refused.PointInTime!.Gaps);
    }

    [Fact]
    public void Times_outside_the_windows_are_refused_with_them()
    {
        Assert.Contains("is before the first full backup of 'shop' with a recorded position (2026-11-29T12:00:00Z)",
            Refused(new() { PointInTime = "2026-11-29T11:59:59Z" }, History).Message);
        Assert.Contains("is in the future (now 2026-11-29T14:00:00Z)", Refused(new() { PointInTime = "2026-11-29T14:00:01Z" }, History).Message);
        var after = Refused(new() { PointInTime = "2026-11-29T12:30:01Z" }, History);
        Assert.Contains("is after the last archived event 'shop' can be rolled forward to (2026-11-29T12:30:00Z)", after.Message);
        Assert.Contains("recoverable window: 2026-11-29T12:01:00Z to 2026-11-29T12:30:00Z; nothing was written", after.Message);
        Assert.Contains("'web' has no full backup with a recorded binary-log position in the configuration 'shop' of namespace 'prod'",
            Refused(new() { PointInTime = "2026-11-29T12:15:00Z", Databases = ["web"] }, History).Message);
        Assert.Contains("the configuration 'shop' of namespace 'prod' has no full backup with a recorded binary-log position",
            Refused(new() { PointInTime = "latest" }, [History[1]]).Message);
    }
}
