using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Core.Metrics;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Runner.Tests.Reporting;

/// <summary>The real runner pushing to the real Pushgateway, scraped as Prometheus would.</summary>
[Collection(RunnerCollection.Name)]
public sealed class PushgatewayRunnerTests(RunnerFixture fixture)
{
    private RunnerSettings Settings(string session, string repository, Uri pushgateway, params string[] databases)
    {
        var settings = fixture.Settings(session, repository, databases);
        return settings with
        {
            Session = settings.Session with { Configuration = "metrics", RepositoryName = "metrics-repo" },
            Reporting = settings.Reporting with { PushgatewayUrl = pushgateway.ToString() },
        };
    }

    [Fact]
    public async Task A_scrape_after_a_good_backup_a_failed_backup_a_restore_and_a_check_shows_each_outcome_with_its_labels()
    {
        await using var pushgateway = await PushgatewayServer.StartAsync();
        await SampleDatabase.CreateAsync(fixture.Database, "metrics_db");
        var repository = TestEnvironment.TempFolder("repo");

        var good = await RunnerProcess.RunAsync("backup",
            Settings("metrics-1", repository, pushgateway.Url, "metrics_db") with { Retention = new() { KeepLast = 5 } });
        Assert.True(good.ExitCode == 0, good.ToString());
        var afterGood = PrometheusText.Parse(await pushgateway.ScrapeAsync());

        (string, string)[] backup = [("job", "mysql-backup-backup"), ("namespace", "tests"), ("configuration", "metrics"), ("repository", "metrics-repo")];
        (string, string)[] database = [.. backup, ("database", "metrics_db")];
        var finished = good.Succeeded!.Time.ToUnixTimeMilliseconds() / 1000.0;
        Assert.Equal(1, Assert.Single(afterGood.Find(MetricNames.SessionSuccess, backup)).Value);
        Assert.Equal(finished, Assert.Single(afterGood.Find(MetricNames.LastSuccessTimestampSeconds, backup)).Value);
        Assert.True(Assert.Single(afterGood.Find(MetricNames.SessionDurationSeconds, backup)).Value > 0);
        Assert.Equal(1, Assert.Single(afterGood.Find(MetricNames.DatabaseSuccess, database)).Value);
        Assert.Equal(good.Succeeded.Databases[0].Bytes, Assert.Single(afterGood.Find(MetricNames.DumpBytes, database)).Value);
        Assert.Equal(good.Succeeded.Databases[0].DataAdded, Assert.Single(afterGood.Find(MetricNames.AddedBytes, database)).Value);
        Assert.Equal(1, Assert.Single(afterGood.Find(MetricNames.RepositorySnapshots, backup)).Value);
        Assert.Equal((double)good.Succeeded.Repository!.TotalSizeBytes!.Value, Assert.Single(afterGood.Find(MetricNames.RepositorySizeBytes, backup)).Value);
        Assert.Equal(1, Assert.Single(afterGood.Find(MetricNames.RetentionKeptSnapshots, database)).Value);
        Assert.Equal(0, Assert.Single(afterGood.Find(MetricNames.RetentionRemovedSnapshots, database)).Value);

        var failed = await RunnerProcess.RunAsync("backup", Settings("metrics-2", repository, pushgateway.Url, "metrics_db", "metrics_missing"));
        Assert.Equal(FailureReason.DatabaseNotFound, failed.Failed?.Reason);
        var restore = fixture.Settings("metrics-restore", repository) with
        {
            Session = new() { Namespace = "tests", Name = "metrics-restore", Configuration = "metrics", RepositoryName = "metrics-repo" },
            Restore = new() { Rename = new Dictionary<string, string> { ["metrics_db"] = "metrics_copy" } },
            Reporting = new() { PushgatewayUrl = pushgateway.Url.ToString() },
        };
        var restored = await RunnerProcess.RunAsync("restore", restore);
        Assert.True(restored.ExitCode == 0, restored.ToString());
        var check = await RunnerProcess.RunAsync("check", Settings("metrics-check", repository, pushgateway.Url));
        Assert.True(check.ExitCode == 0, check.ToString());
        var afterAll = PrometheusText.Parse(await pushgateway.ScrapeAsync());

        Assert.Equal(0, Assert.Single(afterAll.Find(MetricNames.SessionSuccess, backup)).Value);
        Assert.Equal(0, Assert.Single(afterAll.Find(MetricNames.DatabaseSuccess, [.. backup, ("database", "metrics_missing")])).Value);
        Assert.Equal(finished, Assert.Single(afterAll.Find(MetricNames.LastSuccessTimestampSeconds, backup)).Value);
        (string, string)[] restoreGroup = [("job", "mysql-backup-restore"), ("namespace", "tests"), ("configuration", "metrics"), ("repository", "metrics-repo")];
        Assert.Equal(good.Succeeded.Databases[0].Bytes, Assert.Single(afterAll.Find(MetricNames.RestoredBytes, [.. restoreGroup, ("database", "metrics_db")])).Value);
        (string, string)[] checkGroup = [("job", "mysql-backup-check"), ("namespace", "tests"), ("repository", "metrics-repo")];
        Assert.Equal(1, Assert.Single(afterAll.Find(MetricNames.SessionSuccess, checkGroup)).Value);
        Assert.Equal(1, Assert.Single(afterAll.Find(MetricNames.RepositoryIntegrity, checkGroup)).Value);
        Assert.Equal(1, Assert.Single(afterAll.Find(MetricNames.RepositorySnapshots, checkGroup)).Value);
    }

    [Fact]
    public async Task An_unreachable_pushgateway_leaves_the_backup_successful_with_a_warning_naming_the_setting()
    {
        await SampleDatabase.CreateAsync(fixture.Database, "metrics_down_db");
        var closed = new Uri($"http://127.0.0.1:{TestEnvironment.FreePort()}/");

        var result = await RunnerProcess.RunAsync("backup", Settings("metrics-down", TestEnvironment.TempFolder("repo"), closed, "metrics_down_db"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.NotNull(result.Succeeded);
        Assert.Contains("PUSHGATEWAY_URL", result.Stderr);
        Assert.Contains(closed.ToString(), result.Stderr);
    }

    [Fact]
    public async Task A_database_named_with_quotes_a_backslash_and_a_line_break_is_a_label_prometheus_reads_back()
    {
        await using var pushgateway = await PushgatewayServer.StartAsync();
        const string name = "metric \"q\" \\ ☃\nx";
        await SampleDatabase.CreateAsync(fixture.Database, name);

        var backup = await RunnerProcess.RunAsync("backup", Settings("metrics-name", TestEnvironment.TempFolder("repo"), pushgateway.Url, name));

        Assert.True(backup.ExitCode == 0, backup.ToString());
        var scraped = PrometheusText.Parse(await pushgateway.ScrapeAsync());
        Assert.Equal(backup.Succeeded!.Databases[0].Bytes, Assert.Single(scraped.Find(MetricNames.DumpBytes, ("database", name))).Value);
    }
}
