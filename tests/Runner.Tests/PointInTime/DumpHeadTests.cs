using System.Text;
using Serverless.Backup.Runner.PointInTime;

namespace Serverless.Backup.Runner.Tests.PointInTime;

public sealed class DumpHeadTests
{
    private const string MariaDbHead = """
        -- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
        /*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
        -- CHANGE MASTER TO MASTER_USE_GTID=slave_pos;

        -- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000002', MASTER_LOG_POS=600;

        --
        -- Table structure for table `t`

        """;

    private const string MySqlHead = """
        -- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
        SET @MYSQLDUMP_TEMP_LOG_BIN = @@SESSION.SQL_LOG_BIN;
        SET @@SESSION.SQL_LOG_BIN= 0;

        --
        -- GTID state at the beginning of the backup
        --

        SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,
        4e11fa47-71ca-11e1-9e33-c80aa9429562:1-2';

        --
        -- Position to start replication or point-in-time recovery from
        --

        -- CHANGE REPLICATION SOURCE TO SOURCE_LOG_FILE='binlog.000007', SOURCE_LOG_POS=157;

        """;

    [Fact]
    public void MariaDb_and_MySql_heads_give_their_position()
    {
        Assert.Equal(new DumpHeadPosition("mysql-bin.000002", 600, null), DumpHead.Parse(MariaDbHead));
        Assert.Equal(
            new DumpHeadPosition("binlog.000007", 157, "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,4e11fa47-71ca-11e1-9e33-c80aa9429562:1-2"),
            DumpHead.Parse(MySqlHead));
    }

    [Theory]
    [InlineData("-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000002', MASTER_LOG_POS=60")]
    [InlineData("CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000002', MASTER_LOG_POS=600;")]
    [InlineData("INSERT INTO t VALUES ('-- CHANGE MASTER TO MASTER_LOG_FILE=''x.000001'', MASTER_LOG_POS=4;')")]
    [InlineData("-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000002', MASTER_LOG_POS=99999999999999999999;")]
    public void A_line_cut_short_uncommented_inside_data_or_out_of_range_is_no_position(string text)
    {
        Assert.Null(DumpHead.Parse(text));
    }

    [Fact]
    public async Task Reading_stops_at_the_position_line_and_keeps_every_byte_read()
    {
        var body = Encoding.UTF8.GetBytes(MariaDbHead + new string('x', 3_000_000));
        var (head, position) = await DumpHead.ReadAsync(new MemoryStream(body), CancellationToken.None);
        Assert.Equal("mysql-bin.000002", position!.File);
        Assert.Equal(body[..head.Length], head);
        Assert.True(head.Length < DumpHead.Limit);
    }

    [Fact]
    public async Task Reading_gives_up_after_the_limit_without_a_position()
    {
        var body = Encoding.UTF8.GetBytes(new string('-', 3_000_000));
        var (head, position) = await DumpHead.ReadAsync(new MemoryStream(body), CancellationToken.None);
        Assert.Null(position);
        Assert.Equal(DumpHead.Limit, head.Length);
    }
}

public sealed class DumpToolTests
{
    private static BinlogState Server(string version) => new(Serverless.Backup.Runner.Privileges.ServerKind.Parse(version), true, 1, "ROW", "FULL");

    [Theory]
    [InlineData("mysqldump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)", "10.11.19-MariaDB-0+deb12u1", "--master-data=2 --gtid")]
    [InlineData("mariadb-dump from 11.4.2-MariaDB, client 10.19 for Linux (x86_64)", "11.4.2-MariaDB", "--master-data=2 --gtid")]
    [InlineData("mysqldump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)", "8.0.36", "--master-data=2")]
    [InlineData("mysqldump  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)", "8.0.36", "--source-data=2")]
    [InlineData("mysqldump  Ver 8.0.25 for Linux on x86_64 (MySQL Community Server - GPL)", "8.0.25", "--master-data=2")]
    [InlineData("mysqldump  Ver 10.13 Distrib 5.7.44, for Linux (x86_64)", "5.7.44-log", "--master-data=2")]
    public void The_position_options_follow_the_dump_tool_and_GTIDs_the_server(string tool, string server, string options)
    {
        Assert.Equal(options, string.Join(' ', Server(server).DumpOptions(DumpTool.Parse(tool))));
    }
}
