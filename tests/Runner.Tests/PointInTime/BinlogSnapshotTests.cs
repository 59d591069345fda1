using Serverless.Backup.Runner.Restic;
using Serverless.Backup.Runner.Snapshots;

namespace Serverless.Backup.Runner.Tests.PointInTime;

/// <summary>An archived binary log is a snapshot, but never a database dump, and its pending record covers only it.</summary>
public sealed class BinlogSnapshotTests
{
    private static ResticSnapshot Log(string session, string file) => new()
    {
        Id = Guid.NewGuid().ToString("N"),
        Paths = [$"/binlog/{file}"],
        Tags = [$"session={session}", "namespace=prod", "config=shop", "kind=binlog", $"binlog={file}"],
    };

    private static ResticSnapshot Dump(string session, string database) => new()
    {
        Id = Guid.NewGuid().ToString("N"),
        Paths = [$"/{ResticTags.FileName(database)}"],
        Tags = [$"session={session}", "namespace=prod", "config=shop", $"db={ResticTags.Encode(database)}"],
    };

    private static PendingSnapshot Pending(string session, string database, string? binlog = null) => new()
    {
        Namespace = "prod", Configuration = "shop", Session = session, Database = database, Binlog = binlog, Host = "h", ProcessId = 1,
    };

    [Fact]
    public void An_archived_log_has_no_database_even_when_tagged_or_named_like_a_dump()
    {
        Assert.Null(Log("a", "mysql-bin.000001").Database);
        Assert.Null((Log("a", "mysql-bin.000001") with { Tags = ["kind=binlog", "db=shop"], Paths = ["/shop.sql"] }).Database);
        Assert.Equal("shop", Dump("a", "shop").Database);
    }

    [Fact]
    public void A_binlog_record_covers_its_log_of_its_session_only_and_a_database_named_like_one_is_still_a_database()
    {
        var record = Pending("arch-1", "binlog:mysql-bin.000002", "mysql-bin.000002");
        Assert.True(record.Covers(Log("arch-1", "mysql-bin.000002")));
        Assert.False(record.Covers(Log("arch-1", "mysql-bin.000003")));
        Assert.False(record.Covers(Log("arch-2", "mysql-bin.000002")));
        Assert.False(record.Covers(Dump("arch-1", "binlog:mysql-bin.000002")));

        var dumpRecord = Pending("arch-1", "binlog:mysql-bin.000002");
        Assert.True(dumpRecord.Covers(Dump("arch-1", "binlog:mysql-bin.000002")));
        Assert.False(dumpRecord.Covers(Log("arch-1", "mysql-bin.000002")));
        Assert.Equal(
            [Dump("arch-1", "shop").Database],
            PendingSnapshots.Confirmed([Log("arch-1", "mysql-bin.000002"), Dump("arch-1", "shop")], [record]).Select(s => s.Database));
    }
}
