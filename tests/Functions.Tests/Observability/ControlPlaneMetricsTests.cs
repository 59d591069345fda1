using k8s.Models;
using Serverless.Backup.Core.Metrics;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Observability;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests.Observability;

public sealed class ControlPlaneMetricsTests
{
    private static BackupConfiguration Configuration(string name, bool paused = false) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "prod" },
        Spec = new() { Schedule = "0 */6 * * *", Paused = paused, Repository = new() { Name = "repo" }, Target = new() { Ref = new() { Name = "shop-db" } } },
        Status = new() { LastSuccessTime = new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero), LastSessionPhase = SessionPhase.Succeeded },
    };

    private static async Task<IReadOnlyList<PrometheusSample>> Scrape(ControlPlaneMetrics metrics)
    {
        using var text = new MemoryStream();
        await metrics.ExportAsync(text, CancellationToken.None);
        return PrometheusText.Parse(System.Text.Encoding.UTF8.GetString(text.ToArray()));
    }

    [Fact]
    public async Task Status_series_follow_the_resources_a_deleted_configuration_disappears_and_a_paused_one_has_no_interval()
    {
        var metrics = new ControlPlaneMetrics();
        var now = new DateTimeOffset(2026, 11, 24, 1, 0, 0, TimeSpan.Zero);
        metrics.SetFromStatus(new StatusSnapshot([Configuration("a"), Configuration("b", paused: true)], [],
            [new("prod", "BackupSession", SessionPhase.Succeeded), new("prod", "BackupSession", SessionPhase.Succeeded), new("prod", "MaintenanceSession", null)]), null, now);

        var first = await Scrape(metrics);
        Assert.Equal(21600, Assert.Single(first.Find(MetricNames.ConfigurationScheduleIntervalSeconds, ("configuration", "a"))).Value);
        Assert.Empty(first.Find(MetricNames.ConfigurationScheduleIntervalSeconds, ("configuration", "b")));
        Assert.Equal(2, Assert.Single(first.Find(MetricNames.Sessions, ("kind", "BackupSession"), ("phase", "Succeeded"))).Value);
        Assert.Equal(1, Assert.Single(first.Find(MetricNames.Sessions, ("kind", "MaintenanceSession"), ("phase", "Pending"))).Value);

        metrics.SetFromStatus(new StatusSnapshot([Configuration("b", paused: true)], [], []), null, now);

        var second = await Scrape(metrics);
        Assert.Empty(second.Find(MetricNames.ConfigurationLastSuccessTimestampSeconds, ("configuration", "a")));
        Assert.Single(second.Find(MetricNames.ConfigurationLastSuccessTimestampSeconds, ("configuration", "b")));
        Assert.Empty(second.Find(MetricNames.Sessions));
    }

    [Fact]
    public async Task Two_app_instances_in_one_process_count_apart()
    {
        var one = new ControlPlaneMetrics();
        var two = new ControlPlaneMetrics();
        one.WebhookEvent(accepted: true, "progress");
        one.WebhookEvent(accepted: false, "replayed");

        Assert.Equal(1, Assert.Single((await Scrape(one)).Find(MetricNames.WebhookEventsTotal, ("result", "rejected"), ("reason", "replayed"))).Value);
        Assert.Empty((await Scrape(two)).Find(MetricNames.WebhookEventsTotal));
    }

    [Fact]
    public async Task The_point_in_time_gauges_come_from_spec_and_status_point_in_time_and_are_absent_without_it()
    {
        var metrics = new ControlPlaneMetrics();
        var withWindow = Configuration("pitr");
        withWindow.Spec = withWindow.Spec with { PointInTime = new PointInTimeSpec { Enabled = true, Schedule = "*/10 * * * *" } };
        withWindow.Status = withWindow.Status! with
        {
            PointInTime = new PointInTimeStatus
            {
                Earliest = new DateTimeOffset(2026, 11, 20, 0, 0, 0, TimeSpan.Zero),
                Latest = new DateTimeOffset(2026, 11, 24, 0, 55, 0, TimeSpan.Zero),
                Windows = [new() { Start = new DateTimeOffset(2026, 11, 20, 0, 0, 0, TimeSpan.Zero), End = new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero) },
                    new() { Start = new DateTimeOffset(2026, 11, 22, 1, 0, 0, TimeSpan.Zero), End = new DateTimeOffset(2026, 11, 24, 0, 55, 0, TimeSpan.Zero) }],
                Gaps = [new() { FirstMissingFile = "mysql-bin.000007", LastMissingFile = "mysql-bin.000007" }],
            },
        };
        metrics.SetFromStatus(new StatusSnapshot([withWindow, Configuration("plain")], [], []), null, new DateTimeOffset(2026, 11, 24, 1, 0, 0, TimeSpan.Zero));

        var samples = await Scrape(metrics);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 0, 55, 0, TimeSpan.Zero).ToUnixTimeSeconds(), Assert.Single(samples.Find(MetricNames.ConfigurationPointInTimeLatestTimestampSeconds, ("configuration", "pitr"))).Value);
        Assert.Equal(new DateTimeOffset(2026, 11, 20, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds(), Assert.Single(samples.Find(MetricNames.ConfigurationPointInTimeEarliestTimestampSeconds, ("configuration", "pitr"))).Value);
        Assert.Equal(600, Assert.Single(samples.Find(MetricNames.ConfigurationPointInTimeArchiveIntervalSeconds, ("configuration", "pitr"))).Value);
        Assert.Equal(1, Assert.Single(samples.Find(MetricNames.ConfigurationPointInTimeGaps, ("configuration", "pitr"))).Value);
        foreach (var name in new[] { MetricNames.ConfigurationPointInTimeLatestTimestampSeconds, MetricNames.ConfigurationPointInTimeArchiveIntervalSeconds, MetricNames.ConfigurationPointInTimeGaps })
        {
            Assert.Empty(samples.Find(name, ("configuration", "plain")));
        }
    }

    [Fact]
    public async Task Every_status_gauge_is_served_to_prometheus_under_its_one_definition_and_is_a_metric_name_of_core()
    {
        var metrics = new ControlPlaneMetrics();
        var names = typeof(MetricNames).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToHashSet();
        var text = new MemoryStream();
        await metrics.ExportAsync(text, CancellationToken.None);
        var exposition = System.Text.Encoding.UTF8.GetString(text.ToArray());

        Assert.Equal(StatusMetrics.All.Count, StatusMetrics.All.Select(m => m.Name).Distinct().Count());
        Assert.All(StatusMetrics.All, m =>
        {
            Assert.Contains(m.Name, names);
            Assert.Contains($"# HELP {m.Name} {m.Help}", exposition, StringComparison.Ordinal);
            Assert.Contains($"# TYPE {m.Name} gauge", exposition, StringComparison.Ordinal);
        });
    }
}
