using System.Globalization;
using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Tests.Pipeline;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Runner.Tests.Maintenance;

/// <summary>
/// Retention with a fixed clock: 30 daily backups (2026-10-17 to 2026-11-15, 02:00 UTC) of database ret_a of
/// configuration "nightly", whose database ret_b joined on 2026-11-06 (10 daily backups), next to a configuration
/// "weekly" with a database of the same name in the same repository. The first and the last day are real runner
/// backups (BACKUP_SNAPSHOT_TIME); the days between are made with restic directly, with the runner's own host and
/// tags, because each restic call costs about a second.
/// </summary>
[Collection(RunnerCollection.Name)]
public sealed class RetentionTests(RunnerFixture fixture)
{
    private static readonly DateTimeOffset FirstDay = new(2026, 10, 17, 2, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset Day(int month, int day) => new(2026, month, day, 2, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// keepLast 3, keepDaily 7, keepWeekly 4, keepMonthly 2 on 2026-11-15 (a Sunday), worked out by hand for ret_a:
    /// daily: 11-09 … 11-15 (which covers the last 3); weekly (ISO weeks, the newest of each): 11-15, 11-08,
    /// 11-01, 10-25; monthly: 11-15, 10-31.
    /// </summary>
    private static readonly DateTimeOffset[] KeptOfA =
    [
        Day(10, 25), Day(10, 31), Day(11, 1), Day(11, 8),
        Day(11, 9), Day(11, 10), Day(11, 11), Day(11, 12), Day(11, 13), Day(11, 14), Day(11, 15),
    ];

    /// <summary>
    /// The same policy for ret_b, backed up from 11-06: daily 11-09 … 11-15; weekly 11-15 and 11-08 (only two weeks
    /// have snapshots); monthly 11-15. 11-06 and 11-07 go.
    /// </summary>
    private static readonly DateTimeOffset[] KeptOfB =
    [
        Day(11, 8), Day(11, 9), Day(11, 10), Day(11, 11), Day(11, 12), Day(11, 13), Day(11, 14), Day(11, 15),
    ];

    private RunnerSettings Nightly(string session, string repository, DateTimeOffset time, RetentionSettings retention, params string[] databases)
    {
        var settings = fixture.Settings(session, repository, databases.Length == 0 ? ["ret_a", "ret_b"] : databases);
        return settings with
        {
            Session = settings.Session with { Configuration = "nightly", SnapshotTime = time.ToString("O", CultureInfo.InvariantCulture) },
            Retention = retention,
        };
    }

    [Fact]
    public async Task Thirty_daily_backups_keep_exactly_what_the_policy_keeps_for_each_database_and_leave_another_configuration_alone()
    {
        await SampleDatabase.CreateAsync(fixture.Database, "ret_a");
        await SampleDatabase.CreateAsync(fixture.Database, "ret_b");
        var repository = TestEnvironment.TempFolder("repo");

        // Day 1: a real backup of ret_a, without a policy.
        var first = await RunnerProcess.RunAsync("backup", Nightly("nightly-20261017", repository, FirstDay, new(), "ret_a"));
        Assert.True(first.ExitCode == 0, first.ToString());
        var runnerSnapshot = (await ResticRepository.SnapshotsAsync(repository, RunnerFixture.RepositoryPassword))[0];
        var host = runnerSnapshot.GetProperty("hostname").GetString()!;
        Assert.Equal("tests.nightly", host);

        // Days 2 to 29 of ret_a, 11-06 to 11-14 of ret_b, and three days of configuration "weekly", with restic directly.
        var made = new List<Task>();
        using var parallel = new SemaphoreSlim(4);
        for (var day = 1; day < 29; day++)
        {
            made.Add(MakeSnapshotAsync(repository, parallel, host, "nightly", "ret_a", FirstDay.AddDays(day)));
            if (FirstDay.AddDays(day) >= Day(11, 6))
            {
                made.Add(MakeSnapshotAsync(repository, parallel, host, "nightly", "ret_b", FirstDay.AddDays(day)));
            }
        }
        for (var day = 0; day < 3; day++)
        {
            made.Add(MakeSnapshotAsync(repository, parallel, "tests.weekly", "weekly", "ret_a", FirstDay.AddDays(day * 7)));
        }
        await Task.WhenAll(made);
        var weeklyBefore = await SnapshotIdsAsync(repository, "tests.weekly");
        Assert.Equal(3, weeklyBefore.Count);

        // A failed backup applies no retention.
        var policy = new RetentionSettings { KeepLast = 3, KeepDaily = 7, KeepWeekly = 4, KeepMonthly = 2 };
        var failed = await RunnerProcess.RunAsync("backup", Nightly("nightly-failed", repository, Day(11, 15), policy) with
        {
            Database = fixture.Settings("x", repository).Database with { Databases = ["ret_a", "ret_missing"] },
        });
        Assert.Equal(FailureReason.DatabaseNotFound, failed.Failed?.Reason);
        Assert.Equal(29 + 9 + 3, (await ResticRepository.SnapshotsAsync(repository, RunnerFixture.RepositoryPassword)).Count);

        // Day 30: a real backup with the policy; retention follows the good backup.
        var last = await RunnerProcess.RunAsync("backup", Nightly("nightly-20261115", repository, Day(11, 15), policy));

        Assert.True(last.ExitCode == 0, last.ToString());
        var retention = last.Succeeded!.Retention!;
        Assert.Null(last.Succeeded.Warning);
        Assert.Equal(["ret_a", "ret_b"], retention.Groups.Select(g => g.Database));
        Assert.Equal((11, 19), (retention.Groups[0].Kept, retention.Groups[0].Removed));
        Assert.Equal((8, 2), (retention.Groups[1].Kept, retention.Groups[1].Removed));
        Assert.Equal(KeptOfA, await TimesAsync(repository, "tests.nightly", "ret_a"));
        Assert.Equal(KeptOfB, await TimesAsync(repository, "tests.nightly", "ret_b"));
        Assert.Equal(weeklyBefore, await SnapshotIdsAsync(repository, "tests.weekly"));
        Assert.Equal(11 + 8 + 3, last.Succeeded.Repository!.SnapshotCount);
        Assert.Equal(Day(11, 15), last.Succeeded.Repository.RecentSnapshots[0].Time);

        // The forget verb on its own: a dry run removes nothing, then keepLast 2 with prune keeps the last two days.
        var dryRun = await RunnerProcess.RunAsync("forget", Nightly("nightly-forget-dry", repository, Day(11, 15), new() { KeepLast = 2, DryRun = true }));
        Assert.True(dryRun.ExitCode == 0, dryRun.ToString());
        Assert.True(dryRun.Succeeded!.Retention!.DryRun);
        Assert.Equal([(2, 9), (2, 6)], dryRun.Succeeded.Retention.Groups.Select(g => (g.Kept, g.Removed)));
        Assert.Equal(11 + 8 + 3, (await ResticRepository.SnapshotsAsync(repository, RunnerFixture.RepositoryPassword)).Count);

        var forget = await RunnerProcess.RunAsync("forget", Nightly("nightly-forget", repository, Day(11, 15), new() { KeepLast = 2, Prune = true }));
        Assert.True(forget.ExitCode == 0, forget.ToString());
        Assert.True(forget.Succeeded!.Retention!.Pruned);
        Assert.Equal(9 + 6, forget.Succeeded.Retention.Removed);
        foreach (var database in new[] { "ret_a", "ret_b" })
        {
            Assert.Equal([Day(11, 14), Day(11, 15)], await TimesAsync(repository, "tests.nightly", database));
        }
        Assert.Equal(weeklyBefore, await SnapshotIdsAsync(repository, "tests.weekly"));
        Assert.Equal(2 * 2 + 3, forget.Succeeded.Repository!.SnapshotCount);
        Assert.Empty(await ResticRepository.LocksAsync(repository, RunnerFixture.RepositoryPassword));
    }

    [Fact]
    public async Task A_retention_policy_whose_keep_rules_are_all_zero_is_rejected_before_anything_runs()
    {
        var repository = TestEnvironment.TempFolder("repo");
        var settings = Nightly("zero-policy", repository, FirstDay, new() { KeepLast = 0, KeepDaily = 0 });

        var backup = await RunnerProcess.RunAsync("backup", settings);
        var forget = await RunnerProcess.RunAsync("forget", settings with { Retention = new() { KeepLast = -1 } });

        Assert.Equal(2, backup.ExitCode);
        Assert.Equal(FailureReason.InvalidSettings, backup.Failed?.Reason);
        Assert.Contains("RETENTION_KEEP_LAST", backup.Failed!.Message);
        Assert.Contains("remove every snapshot", backup.Failed.Message);
        Assert.Equal(FailureReason.InvalidSettings, forget.Failed?.Reason);
        Assert.Contains("RETENTION_KEEP_LAST=-1 is negative", forget.Failed!.Message);
        Assert.False(File.Exists(Path.Combine(repository, "config")));
    }

    /// <summary>A snapshot as the runner makes it: host namespace.configuration, path /db.sql, the runner's tags.</summary>
    private static async Task MakeSnapshotAsync(string repository, SemaphoreSlim parallel, string host, string configuration, string database, DateTimeOffset time)
    {
        await parallel.WaitAsync();
        try
        {
            var result = await Cli.Wrap("restic")
                .WithArguments(
                [
                    "backup", "--stdin", "--stdin-filename", $"{database}.sql", "--host", host, "-q",
                    "--tag", $"session={configuration}-{time:yyyyMMdd},namespace=tests,config={configuration},db={database},charset=utf8mb4,collation=utf8mb4_unicode_ci",
                    "--time", time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                ])
                .WithEnvironmentVariables(new Dictionary<string, string?>
                {
                    ["RESTIC_REPOSITORY"] = repository, ["RESTIC_PASSWORD"] = RunnerFixture.RepositoryPassword, ["TZ"] = "UTC",
                })
                .WithStandardInputPipe(PipeSource.FromString($"-- {database} on {time:O}\n-- Dump completed\n"))
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync();
            Assert.True(result.ExitCode == 0, result.StandardError);
        }
        finally
        {
            parallel.Release();
        }
    }

    private static async Task<IReadOnlyList<DateTimeOffset>> TimesAsync(string repository, string host, string database) =>
        (await ResticRepository.SnapshotsAsync(repository, RunnerFixture.RepositoryPassword))
            .Where(s => s.GetProperty("hostname").GetString() == host && s.GetProperty("paths")[0].GetString() == $"/{database}.sql")
            .Select(s => s.GetProperty("time").GetDateTimeOffset().ToUniversalTime())
            .Select(t => new DateTimeOffset(t.Year, t.Month, t.Day, t.Hour, t.Minute, t.Second, TimeSpan.Zero))
            .Order()
            .ToList();

    private static async Task<IReadOnlyList<string>> SnapshotIdsAsync(string repository, string host) =>
        (await ResticRepository.SnapshotsAsync(repository, RunnerFixture.RepositoryPassword))
            .Where(s => s.GetProperty("hostname").GetString() == host)
            .Select(s => s.GetProperty("id").GetString()!)
            .Order(StringComparer.Ordinal)
            .ToList();
}
