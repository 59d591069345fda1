using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Core.Metrics;
using Serverless.Backup.Runner.Reporting;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Runner.Tests.Reporting;

public sealed class PushgatewayEventSinkTests : IAsyncLifetime
{
    private static readonly SessionSettings Session = new() { Namespace = "prod", Name = "shop-202611240100", Configuration = "shop", RepositoryName = "blob" };
    private static readonly DateTimeOffset Finished = new(2026, 11, 24, 1, 2, 3, TimeSpan.Zero);
    private PushgatewayServer _pushgateway = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync() => _pushgateway = await PushgatewayServer.StartAsync();

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _pushgateway.DisposeAsync();
    }

    private static SucceededEvent Succeeded(string verb) => new()
    {
        Verb = verb, Namespace = "prod", Session = Session.Name!, Time = Finished, DurationSeconds = 12.5,
        Databases =
        [
            new() { Database = "shop", SnapshotId = "0123abcd", Bytes = 1000, Sha256 = new string('a', 64), DataAdded = 400, DurationSeconds = 7 },
            new() { Database = "crm", SnapshotId = "4567abcd", Bytes = 2000, Sha256 = new string('b', 64), DataAdded = 0, DurationSeconds = 5 },
        ],
    };

    [Fact]
    public async Task A_successful_backup_is_scraped_with_its_labels_and_per_database_figures()
    {
        var sink = new PushgatewayEventSink(_pushgateway.Url, Session, _http, NullLogger.Instance);

        await sink.PublishAsync(Succeeded("backup"), CancellationToken.None);

        var samples = PrometheusText.Parse(await _pushgateway.ScrapeAsync());
        (string, string)[] group = [("job", "mysql-backup-backup"), ("namespace", "prod"), ("configuration", "shop"), ("repository", "blob")];
        Assert.Equal(1, Assert.Single(samples.Find(MetricNames.SessionSuccess, group)).Value);
        Assert.Equal(Finished.ToUnixTimeSeconds(), Assert.Single(samples.Find(MetricNames.LastSuccessTimestampSeconds, group)).Value);
        Assert.Equal(12.5, Assert.Single(samples.Find(MetricNames.SessionDurationSeconds, group)).Value);
        Assert.Equal(1000, Assert.Single(samples.Find(MetricNames.DumpBytes, [.. group, ("database", "shop")])).Value);
        Assert.Equal(2000, Assert.Single(samples.Find(MetricNames.DumpBytes, [.. group, ("database", "crm")])).Value);
        Assert.Equal(400, Assert.Single(samples.Find(MetricNames.AddedBytes, [.. group, ("database", "shop")])).Value);
        Assert.Equal(1, Assert.Single(samples.Find(MetricNames.DatabaseSuccess, [.. group, ("database", "crm")])).Value);
    }

    [Fact]
    public async Task A_failed_backup_pushes_success_zero_and_keeps_the_last_success_time()
    {
        var sink = new PushgatewayEventSink(_pushgateway.Url, Session, _http, NullLogger.Instance);
        await sink.PublishAsync(Succeeded("backup"), CancellationToken.None);

        await sink.PublishAsync(new FailedEvent
        {
            Verb = "backup", Namespace = "prod", Session = "shop-202611250100", Time = Finished.AddDays(1),
            Reason = FailureReason.DumpFailed, Message = "mariadb-dump exited 2", Database = "crm",
        }, CancellationToken.None);

        var samples = PrometheusText.Parse(await _pushgateway.ScrapeAsync());
        (string, string)[] group = [("job", "mysql-backup-backup"), ("namespace", "prod"), ("configuration", "shop")];
        Assert.Equal(0, Assert.Single(samples.Find(MetricNames.SessionSuccess, group)).Value);
        Assert.Equal(0, Assert.Single(samples.Find(MetricNames.DatabaseSuccess, [.. group, ("database", "crm")])).Value);
        Assert.Equal(Finished.ToUnixTimeSeconds(), Assert.Single(samples.Find(MetricNames.LastSuccessTimestampSeconds, group)).Value);
    }

    [Fact]
    public async Task A_restore_pushes_restored_bytes_in_its_own_group()
    {
        var sink = new PushgatewayEventSink(_pushgateway.Url, Session, _http, NullLogger.Instance);

        await sink.PublishAsync(Succeeded("restore"), CancellationToken.None);

        var samples = PrometheusText.Parse(await _pushgateway.ScrapeAsync());
        Assert.Equal(2000, Assert.Single(samples.Find(MetricNames.RestoredBytes, ("job", "mysql-backup-restore"), ("database", "crm"))).Value);
        Assert.Empty(samples.Find(MetricNames.DumpBytes, ("job", "mysql-backup-restore")));
    }

    [Fact]
    public async Task An_archive_pushes_what_it_stored_in_its_configurations_group()
    {
        var sink = new PushgatewayEventSink(_pushgateway.Url, Session, _http, NullLogger.Instance);

        await sink.PublishAsync(Succeeded("archive") with
        {
            Databases = [],
            PointInTime = new() { ArchivedFiles = 3, ArchivedBytes = 2419, LastArchivedFile = "mysql-bin.000004" },
        }, CancellationToken.None);

        var samples = PrometheusText.Parse(await _pushgateway.ScrapeAsync());
        (string, string)[] group = [("job", "mysql-backup-archive"), ("namespace", "prod"), ("configuration", "shop"), ("repository", "blob")];
        Assert.Equal(3, Assert.Single(samples.Find(MetricNames.BinlogArchivedFiles, group)).Value);
        Assert.Equal(2419, Assert.Single(samples.Find(MetricNames.BinlogArchivedBytes, group)).Value);
        Assert.Equal(1, Assert.Single(samples.Find(MetricNames.SessionSuccess, group)).Value);
        Assert.Empty(samples.Find(MetricNames.DumpBytes, ("job", "mysql-backup-archive")));
    }

    [Fact]
    public async Task A_check_that_found_damage_pushes_integrity_zero_in_the_repositorys_group()
    {
        var sink = new PushgatewayEventSink(_pushgateway.Url, Session, _http, NullLogger.Instance);

        await sink.PublishAsync(new FailedEvent
        {
            Verb = "check", Namespace = "prod", Session = "blob-check-1", Time = Finished, Reason = FailureReason.IntegrityCheckFailed,
            Message = "restic check found damage", Repository = new() { SnapshotCount = 7, TotalSizeBytes = 4096, Integrity = false, IntegrityMessage = "pack x: does not exist" },
        }, CancellationToken.None);

        var samples = PrometheusText.Parse(await _pushgateway.ScrapeAsync());
        (string, string)[] group = [("job", "mysql-backup-check"), ("namespace", "prod"), ("repository", "blob")];
        Assert.Equal(0, Assert.Single(samples.Find(MetricNames.SessionSuccess, group)).Value);
        Assert.Equal(0, Assert.Single(samples.Find(MetricNames.RepositoryIntegrity, group)).Value);
        Assert.Equal(7, Assert.Single(samples.Find(MetricNames.RepositorySnapshots, group)).Value);
        Assert.Equal(4096, Assert.Single(samples.Find(MetricNames.RepositorySizeBytes, group)).Value);
    }

    [Fact]
    public async Task An_unreachable_pushgateway_is_a_warning_that_names_the_setting()
    {
        var closed = new Uri($"http://127.0.0.1:{TestEnvironment.FreePort()}/");
        var warnings = new StringWriter();
        using var loggers = JsonLogCapture.To(warnings);
        var sink = new PushgatewayEventSink(closed, Session, _http, loggers.CreateLogger("test"));

        await sink.PublishAsync(Succeeded("backup"), CancellationToken.None);

        var warning = LogLine.Parse(warnings.ToString().Trim());
        Assert.Equal("Warning", warning.Level);
        Assert.Contains("PUSHGATEWAY_URL", warning.Message);
        Assert.Contains(closed.ToString(), warning.Message);
    }
}
