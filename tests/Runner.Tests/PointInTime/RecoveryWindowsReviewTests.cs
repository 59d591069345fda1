using Serverless.Backup.Runner.PointInTime;

namespace Serverless.Backup.Runner.Tests.PointInTime;

/// <summary>Recovery windows of logs that cannot continue a dump, and the last second of a window.</summary>
public sealed class RecoveryWindowsReviewTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset At(int minutes) => T0.AddMinutes(minutes);

    private static PositionedDump Dump(string database, int minutes, string file, long position = 400) =>
        new(database, $"{database}-{minutes}", At(minutes), new BinlogPosition(file, position, 1, null));

    private static ArchivedBinlog Log(string file, int first, int last, long size = 100_000) =>
        new(file, At(first), At(last), size, 1) { SnapshotId = file };

    [Fact]
    public void After_reset_master_the_archived_logs_of_the_old_numbering_are_never_replayed_onto_a_new_dump()
    {
        // Logs 3 and 4 were archived before RESET MASTER; the server numbered its logs from 1 again, and a dump
        // taken at minute 50 stands in the new mysql-bin.000003 (not archived: its name is taken). The old logs
        // of that name ended long before the dump: they are other logs and must not roll it forward.
        var dumps = new[] { Dump("shop", 50, "mysql-bin.000003") };
        var logs = new[] { Log("mysql-bin.000003", 0, 20), Log("mysql-bin.000004", 20, 30) };

        var plan = RecoveryWindows.PlanFor("shop", At(50), dumps, logs);

        Assert.NotNull(plan);
        Assert.Empty(plan.Value.Logs);
        Assert.Empty(RecoveryWindows.ChainOf(dumps[0], logs));
    }
}
