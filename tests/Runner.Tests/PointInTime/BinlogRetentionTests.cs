using System.Globalization;
using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Runner.Restic;
using Serverless.Backup.Runner.Retention;
using Serverless.Backup.Runner.PointInTime;
using Serverless.Backup.Runner.Tests.Pipeline;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Runner.Tests.PointInTime;

/// <summary>
/// Retention of a configuration with point-in-time recovery: the policy counts dumps only, and the archived logs no
/// kept dump needs (older than the oldest kept dump's file) go with the dumps it forgot; the rest stay. Snapshots
/// are made with restic directly, with the runner's host and tags (each restic call costs about a second).
/// </summary>
[Collection(RunnerCollection.Name)]
public sealed class BinlogRetentionTests(RunnerFixture fixture)
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 20, 2, 0, 0, TimeSpan.Zero);

    private static async Task MakeAsync(string repository, string host, string configuration, string file, IEnumerable<string> tags, DateTimeOffset time)
    {
        var result = await Cli.Wrap("restic")
            .WithArguments(
            [
                "backup", "--stdin", "--stdin-filename", file, "--host", host, "-q",
                "--tag", string.Join(',', [$"session={configuration}-{time:yyyyMMddHH}", "namespace=tests", $"config={configuration}", .. tags]),
                "--time", time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
            ])
            .WithEnvironmentVariables(new Dictionary<string, string?>
            {
                ["RESTIC_REPOSITORY"] = repository, ["RESTIC_PASSWORD"] = RunnerFixture.RepositoryPassword, ["TZ"] = "UTC",
            })
            .WithStandardInputPipe(PipeSource.FromString($"{file} {time:O} {string.Join(' ', tags)}\n"))
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync();
        Assert.True(result.ExitCode == 0, result.StandardError);
    }

    private static Task DumpAsync(string repository, string configuration, int hours, int file) =>
        MakeAsync(repository, $"tests.{configuration}", configuration, "pitr_ret.sql",
            ["db=pitr_ret", $"binlog-file=mysql-bin.{file:000000}", "binlog-pos=400", "server-id=1"], T0.AddHours(hours));

    private static Task LogAsync(string repository, string configuration, int file, int hours) =>
        MakeAsync(repository, $"tests.{configuration}", configuration, $"binlog/mysql-bin.{file:000000}",
            [
                "kind=binlog", $"binlog=mysql-bin.{file:000000}",
                $"binlog-first={T0.AddHours(hours).ToUnixTimeSeconds()}", $"binlog-last={T0.AddHours(hours + 1).ToUnixTimeSeconds() - 1}",
                "binlog-size=1000", "server-id=1",
            ], T0.AddHours(hours + 1));

    private static string? Tag(JsonElement snapshot, string key) =>
        snapshot.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).FirstOrDefault(t => t.StartsWith(key + "=", StringComparison.Ordinal))?[(key.Length + 1)..];

    [Fact]
    public async Task Forgetting_dumps_forgets_the_archived_logs_no_kept_dump_needs_and_keeps_the_rest_and_other_configurations()
    {
        var repository = TestEnvironment.TempFolder("repo");
        var init = await Cli.Wrap("restic").WithArguments(["init"])
            .WithEnvironmentVariables(new Dictionary<string, string?> { ["RESTIC_REPOSITORY"] = repository, ["RESTIC_PASSWORD"] = RunnerFixture.RepositoryPassword })
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        Assert.True(init.ExitCode == 0, init.StandardError);
        // Dumps at hours 0, 4 and 8 (files 2, 4 and 6), a log an hour (files 1 to 9), and a log of another configuration.
        await DumpAsync(repository, "cfg-ret", 0, 2);
        var made = new List<Task> { DumpAsync(repository, "cfg-ret", 4, 4), DumpAsync(repository, "cfg-ret", 8, 6), LogAsync(repository, "cfg-other", 1, 0) };
        for (var file = 1; file <= 9; file++)
        {
            made.Add(LogAsync(repository, "cfg-ret", file, file - 1));
        }
        await Task.WhenAll(made);
        var settings = fixture.Settings("ret-forget", repository) with
        {
            Session = new() { Namespace = "tests", Name = "ret-forget", Configuration = "cfg-ret", RepositoryName = "local" },
            Retention = new() { KeepLast = 2, KeepTags = [] },
            PointInTime = new() { RecordPosition = true },
        };

        // A dry run says what would go and removes nothing.
        var dry = await RunnerProcess.RunAsync("forget", settings with { Retention = settings.Retention with { DryRun = true } });
        Assert.True(dry.ExitCode == 0, dry.ToString());
        Assert.Contains("would remove 3 archived binary log(s) no kept dump needs (mysql-bin.000001, mysql-bin.000002, mysql-bin.000003)", dry.Stderr);
        Assert.Equal(13, (await ResticRepository.SnapshotsAsync(repository, RunnerFixture.RepositoryPassword)).Count);

        var forget = await RunnerProcess.RunAsync("forget", settings);

        Assert.True(forget.ExitCode == 0, forget.ToString());
        // The policy's groups are the databases only: the logs are no group of it.
        var group = Assert.Single(forget.Succeeded!.Retention!.Groups);
        Assert.Equal(("pitr_ret", 2, 1), (group.Database, group.Kept, group.Removed));
        var left = await ResticRepository.SnapshotsAsync(repository, RunnerFixture.RepositoryPassword);
        Assert.Equal(
            ["mysql-bin.000004", "mysql-bin.000005", "mysql-bin.000006", "mysql-bin.000007", "mysql-bin.000008", "mysql-bin.000009"],
            left.Where(s => Tag(s, "config") == "cfg-ret" && Tag(s, "kind") == "binlog").Select(s => Tag(s, "binlog")).Order(StringComparer.Ordinal));
        Assert.Equal(["mysql-bin.000004", "mysql-bin.000006"], left.Where(s => Tag(s, "db") is not null).Select(s => Tag(s, "binlog-file")).Order(StringComparer.Ordinal));
        Assert.Single(left, s => Tag(s, "config") == "cfg-other");
        // The window after it: from the oldest kept dump to the last archived event, without a gap.
        var report = forget.Succeeded.PointInTime!;
        Assert.Equal(T0.AddHours(4), report.Earliest);
        Assert.Equal(T0.AddHours(9).AddSeconds(-1), report.Latest);
        Assert.Empty(report.Gaps);
        Assert.Equal(8, forget.Succeeded.Repository!.SnapshotCount - 1);
        Assert.All(forget.Succeeded.Repository.RecentSnapshots, s => Assert.Equal("pitr_ret", s.Database));
    }

    [Fact]
    public void Logs_are_kept_while_no_kept_dump_has_a_position_and_logs_of_a_server_no_kept_dump_was_taken_on_go()
    {
        static ResticSnapshot Dump(string? file, long server = 1) => new()
        {
            Id = Guid.NewGuid().ToString("N"),
            Tags = file is null ? ["db=shop"] : ["db=shop", $"binlog-file={file}", "binlog-pos=4", $"server-id={server}"],
        };
        ArchivedBinlog[] logs =
        [
            new("mysql-bin.000001", T0, T0, 10, 1) { SnapshotId = "a" },
            new("mysql-bin.000003", T0, T0, 10, 1) { SnapshotId = "b" },
            new("mysql-bin.000002", T0, T0, 10, 2) { SnapshotId = "c" },
            new("other.000001", T0, T0, 10, 1) { SnapshotId = "d" },
        ];

        Assert.Empty(RetentionRun.Unneeded([Dump(null)], logs));
        Assert.Empty(RetentionRun.Unneeded([], logs));
        Assert.Equal(["a", "c", "d"], RetentionRun.Unneeded([Dump("mysql-bin.000003")], logs).Select(l => l.SnapshotId));
        Assert.Equal(["d"], RetentionRun.Unneeded([Dump("mysql-bin.000001"), Dump("mysql-bin.000001", server: 2)], logs).Select(l => l.SnapshotId));
    }
}
