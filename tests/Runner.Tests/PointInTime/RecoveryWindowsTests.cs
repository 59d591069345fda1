using Serverless.Backup.Runner.PointInTime;

namespace Serverless.Backup.Runner.Tests.PointInTime;

/// <summary>What can be restored to which second, from dumps with positions and archived logs.</summary>
public sealed class RecoveryWindowsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset At(int minutes) => T0.AddMinutes(minutes);

    private static PositionedDump Dump(string database, int minutes, string file, long server = 1) =>
        new(database, $"{database}-{minutes}", At(minutes), new BinlogPosition(file, 400, server, null));

    private static ArchivedBinlog Log(string file, int first, int last, long server = 1, long size = 1000) =>
        new(file, At(first), At(last), size, server) { SnapshotId = file };

    [Fact]
    public void Nothing_gives_no_window_and_no_gap()
    {
        var report = RecoveryWindows.Compute([], []);
        Assert.Empty(report.Windows);
        Assert.Empty(report.Gaps);
        Assert.Null(report.Earliest);
        Assert.Null(report.LastArchivedFile);
    }

    [Fact]
    public void Logs_without_a_dump_give_no_window_but_name_the_last_archived_file()
    {
        var report = RecoveryWindows.Compute([], [Log("mysql-bin.000001", 0, 5), Log("mysql-bin.000002", 5, 9)]);
        Assert.Empty(report.Windows);
        Assert.Equal("mysql-bin.000002", report.LastArchivedFile);
    }

    [Fact]
    public void A_dump_whose_file_is_not_archived_yet_is_a_window_of_its_own_second()
    {
        var report = RecoveryWindows.Compute([Dump("shop", 10, "mysql-bin.000003")], [Log("mysql-bin.000002", 0, 9)]);
        Assert.Equal(At(10), Assert.Single(report.Windows).Start);
        Assert.Equal(At(10), report.Windows[0].End);
    }

    [Fact]
    public void A_dump_rolls_forward_through_consecutive_logs_to_the_last_event()
    {
        var report = RecoveryWindows.Compute(
            [Dump("shop", 10, "mysql-bin.000003")],
            [Log("mysql-bin.000003", 9, 20), Log("mysql-bin.000004", 20, 30), Log("mysql-bin.000005", 30, 41)]);
        var window = Assert.Single(report.Windows);
        Assert.Equal((At(10), At(41)), (window.Start, window.End));
        Assert.Equal((At(10), At(41)), (report.Earliest!.Value, report.Latest!.Value));
        Assert.Empty(report.Gaps);
    }

    [Fact]
    public void A_hole_between_archived_logs_is_a_gap_and_splits_the_window_until_the_next_dump()
    {
        var report = RecoveryWindows.Compute(
            [Dump("shop", 10, "mysql-bin.000003"), Dump("shop", 50, "mysql-bin.000007")],
            [Log("mysql-bin.000003", 9, 20), Log("mysql-bin.000004", 20, 30), Log("mysql-bin.000007", 45, 60), Log("mysql-bin.000008", 60, 70)]);
        Assert.Equal(2, report.Windows.Count);
        Assert.Equal((At(10), At(30)), (report.Windows[0].Start, report.Windows[0].End));
        Assert.Equal((At(50), At(70)), (report.Windows[1].Start, report.Windows[1].End));
        var gap = Assert.Single(report.Gaps);
        Assert.Equal(("mysql-bin.000005", "mysql-bin.000006"), (gap.FirstMissingFile, gap.LastMissingFile));
        Assert.Equal((At(30), At(45)), (gap.From!.Value, gap.To!.Value));
    }

    [Fact]
    public void Logs_a_dump_needs_that_were_purged_before_they_were_archived_are_a_gap_from_the_dump()
    {
        var report = RecoveryWindows.Compute(
            [Dump("shop", 10, "mysql-bin.000003")],
            [Log("mysql-bin.000005", 40, 50)]);
        var gap = Assert.Single(report.Gaps);
        Assert.Equal(("mysql-bin.000003", "mysql-bin.000004"), (gap.FirstMissingFile, gap.LastMissingFile));
        Assert.Equal(At(10), gap.From);
        Assert.Equal((At(10), At(10)), (report.Windows[0].Start, report.Windows[0].End));
    }

    [Fact]
    public void The_window_of_a_configuration_is_where_every_database_can_be_restored()
    {
        var report = RecoveryWindows.Compute(
            [Dump("shop", 10, "mysql-bin.000003"), Dump("crm", 12, "mysql-bin.000003")],
            [Log("mysql-bin.000003", 9, 20), Log("mysql-bin.000004", 20, 30)]);
        var window = Assert.Single(report.Windows);
        Assert.Equal((At(12), At(30)), (window.Start, window.End));
    }

    [Fact]
    public void Logs_of_another_server_or_base_name_never_extend_a_dump_and_their_gaps_do_not_borrow_its_time()
    {
        var report = RecoveryWindows.Compute(
            [Dump("shop", 10, "mysql-bin.000003", server: 1), Dump("shop", 5, "other-bin.000001", server: 2)],
            [Log("mysql-bin.000003", 9, 20, server: 2), Log("other-bin.000003", 30, 40, server: 2)]);
        Assert.All(report.Windows, w => Assert.Equal(w.Start, w.End));
        var gap = Assert.Single(report.Gaps);
        Assert.Equal("other-bin.000001", gap.FirstMissingFile);
        Assert.Equal(At(5), gap.From);
    }

    [Fact]
    public void A_log_stored_twice_counts_once_and_windows_that_touch_merge()
    {
        var report = RecoveryWindows.Compute(
            [Dump("shop", 10, "mysql-bin.000003"), Dump("shop", 20, "mysql-bin.000004")],
            [Log("mysql-bin.000003", 9, 20), Log("mysql-bin.000003", 9, 20, size: 10), Log("mysql-bin.000004", 20, 30)]);
        var window = Assert.Single(report.Windows);
        Assert.Equal((At(10), At(30)), (window.Start, window.End));
        Assert.Empty(report.Gaps);
    }

    [Fact]
    public void A_plan_takes_the_newest_dump_before_the_time_and_the_logs_up_to_it()
    {
        var dumps = new[] { Dump("shop", 10, "mysql-bin.000003"), Dump("shop", 25, "mysql-bin.000004") };
        var logs = new[] { Log("mysql-bin.000003", 9, 20), Log("mysql-bin.000004", 20, 30), Log("mysql-bin.000005", 30, 40) };

        var plan = RecoveryWindows.PlanFor("shop", At(27), dumps, logs)!.Value;
        Assert.Equal("shop-25", plan.Dump.SnapshotId);
        Assert.Equal(["mysql-bin.000004"], plan.Logs.Select(l => l.File));
        Assert.Null(RecoveryWindows.PlanFor("shop", At(5), dumps, logs));
        Assert.Null(RecoveryWindows.PlanFor("shop", At(41), dumps, logs));
        Assert.Null(RecoveryWindows.PlanFor("crm", At(27), dumps, logs));
    }
}
