using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Prometheus;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Core.Metrics;
using Serverless.Backup.Runner.Logging;

namespace Serverless.Backup.Runner.Reporting;

/// <summary>
/// Pushes a run's outcome to a Prometheus Pushgateway when the run ends. A backup's or restore's group is
/// job="mysql-backup-{verb}", namespace, configuration (its samples carry repository and database); a maintenance
/// run's (check, forget, unlock) is job, namespace, repository (its samples carry configuration where it has one).
/// Repository figures (snapshots, size, integrity) come from the run's repository report, retention figures per
/// database from its retention result. Pushes use POST, which replaces only the metrics of the
/// same name in the group: a failed run pushes success=0 and leaves the last success timestamp of the previous
/// good run in place, so "time since last success" stays true. An unreachable Pushgateway is a warning on stderr,
/// never a failed backup.
/// </summary>
public sealed class PushgatewayEventSink(Uri pushgateway, SessionSettings session, HttpClient http, ILogger warnings) : IEventSink
{
    private static readonly TimeSpan PushTimeout = TimeSpan.FromSeconds(10);

    public async ValueTask PublishAsync(RunnerEvent runnerEvent, CancellationToken cancellationToken)
    {
        if (runnerEvent is not (SucceededEvent or FailedEvent))
        {
            return;
        }
        var registry = Metrics.NewCustomRegistry();
        Record(Metrics.WithCustomRegistry(registry), runnerEvent);

        using var body = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(body, cancellationToken);
        body.Position = 0;
        var url = GroupUrl(runnerEvent.Verb);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(PushTimeout);
            using var content = new StreamContent(body);
            content.Headers.ContentType = MediaTypeHeaderValue.Parse("text/plain; version=0.0.4");
            using var response = await http.PostAsync(url, content, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                warnings.Warning($"the Pushgateway at {pushgateway} answered {(int)response.StatusCode} to the metrics push; the run's result stands (check PUSHGATEWAY_URL)");
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            warnings.Warning($"could not push metrics to the Pushgateway at {pushgateway} ({e.Message}); the run's result stands (check PUSHGATEWAY_URL)");
        }
    }

    /// <summary>Backup, restore, verify and archive are per configuration; maintenance verbs work on a whole repository.</summary>
    private static bool IsMaintenance(string verb) => verb is not ("backup" or "restore" or "verify" or "archive");

    private Uri GroupUrl(string verb)
    {
        static string Segment(string name, string value) =>
            value.Length == 0 ? $"{name}@base64/=" : $"{name}/{Uri.EscapeDataString(value)}";
        var path = string.Join('/',
            "metrics",
            Segment("job", $"mysql-backup-{verb}"),
            Segment(MetricNames.Labels.Namespace, session.Namespace),
            IsMaintenance(verb)
                ? Segment(MetricNames.Labels.Repository, session.RepositoryName ?? "")
                : Segment(MetricNames.Labels.Configuration, session.Configuration ?? ""));
        return new Uri(pushgateway, path);
    }

    private void Record(MetricFactory factory, RunnerEvent runnerEvent)
    {
        // The label that is not part of the group goes on the samples.
        var (label, value) = IsMaintenance(runnerEvent.Verb)
            ? (MetricNames.Labels.Configuration, session.Configuration ?? "")
            : (MetricNames.Labels.Repository, session.RepositoryName ?? "");
        string[] sessionLabels = [label];
        string[] databaseLabels = [label, MetricNames.Labels.Database];
        var repository = value;
        var success = factory.CreateGauge(MetricNames.SessionSuccess, "1 when the last run succeeded, 0 when it failed.", sessionLabels);
        var databaseSuccess = factory.CreateGauge(MetricNames.DatabaseSuccess, "1 when the last run of the database succeeded, 0 when it failed.", databaseLabels);

        switch (runnerEvent)
        {
            case SucceededEvent succeeded:
                success.WithLabels(repository).Set(1);
                factory.CreateGauge(MetricNames.SessionDurationSeconds, "Duration of the last successful run.", sessionLabels)
                    .WithLabels(repository).Set(succeeded.DurationSeconds);
                factory.CreateGauge(MetricNames.LastSuccessTimestampSeconds, "Unix time of the last successful run.", sessionLabels)
                    .WithLabels(repository).Set(runnerEvent.Time.ToUnixTimeMilliseconds() / 1000.0);
                var duration = factory.CreateGauge(MetricNames.DatabaseDurationSeconds, "Seconds the database took in the last successful run.", databaseLabels);
                var bytes = runnerEvent.Verb is "restore" or "verify"
                    ? factory.CreateGauge(MetricNames.RestoredBytes, "Bytes of SQL applied by the last restore.", databaseLabels)
                    : factory.CreateGauge(MetricNames.DumpBytes, "Bytes of the database's dump in the last backup.", databaseLabels);
                var added = runnerEvent.Verb is "restore" or "verify"
                    ? null
                    : factory.CreateGauge(MetricNames.AddedBytes, "Bytes the last backup added to the repository.", databaseLabels);
                foreach (var database in succeeded.Databases)
                {
                    databaseSuccess.WithLabels(repository, database.Database).Set(1);
                    duration.WithLabels(repository, database.Database).Set(database.DurationSeconds);
                    bytes.WithLabels(repository, database.Database).Set(database.Bytes);
                    added?.WithLabels(repository, database.Database).Set(database.DataAdded);
                }
                if (succeeded.Retention is { } retention)
                {
                    var kept = factory.CreateGauge(MetricNames.RetentionKeptSnapshots, "Snapshots of the database the last retention run kept (a dry run: would keep).", databaseLabels);
                    var removed = factory.CreateGauge(MetricNames.RetentionRemovedSnapshots, "Snapshots of the database the last retention run removed (a dry run: would remove).", databaseLabels);
                    foreach (var group in retention.Groups)
                    {
                        kept.WithLabels(repository, group.Database).Set(group.Kept);
                        removed.WithLabels(repository, group.Database).Set(group.Removed);
                    }
                }
                if (succeeded.Verb == "archive" && succeeded.PointInTime is { } pointInTime)
                {
                    factory.CreateGauge(MetricNames.BinlogArchivedBytes, "Bytes of binary log the last archive run stored (before deduplication).", sessionLabels)
                        .WithLabels(repository).Set(pointInTime.ArchivedBytes);
                    factory.CreateGauge(MetricNames.BinlogArchivedFiles, "Binary-log files the last archive run stored.", sessionLabels)
                        .WithLabels(repository).Set(pointInTime.ArchivedFiles);
                }
                RecordRepository(factory, sessionLabels, repository, succeeded.Repository);
                break;
            case FailedEvent failed:
                success.WithLabels(repository).Set(0);
                if (failed.Database is not null)
                {
                    databaseSuccess.WithLabels(repository, failed.Database).Set(0);
                }
                RecordRepository(factory, sessionLabels, repository, failed.Repository);
                break;
        }
    }

    private static void RecordRepository(MetricFactory factory, string[] labels, string value, RepositoryReport? report)
    {
        if (report is null)
        {
            return;
        }
        factory.CreateGauge(MetricNames.RepositorySnapshots, "Snapshots in the repository after the last run.", labels)
            .WithLabels(value).Set(report.SnapshotCount);
        if (report.TotalSizeBytes is { } size)
        {
            factory.CreateGauge(MetricNames.RepositorySizeBytes, "Bytes the repository takes in its storage after the last run.", labels)
                .WithLabels(value).Set(size);
        }
        if (report.Integrity is { } integrity)
        {
            factory.CreateGauge(MetricNames.RepositoryIntegrity, "1 when the last check found the repository intact, 0 when it found damage.", labels)
                .WithLabels(value).Set(integrity ? 1 : 0);
        }
    }
}
