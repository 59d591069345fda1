using System.Diagnostics.Metrics;
using Prometheus;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Schedules;
using Names = Serverless.Backup.Core.Metrics.MetricNames;

namespace Serverless.Backup.Control.Observability;

/// <summary>
/// The metrics GET /api/metrics serves, in a registry of this app instance (tests run several apps in one
/// process). Counters and durations are counted as things happen; sessions by phase and the per-configuration
/// freshness are set from resource status just before each scrape (<see cref="SetFromStatus"/>), so they are
/// right after a restart and on every instance. The status gauges are those of <see cref="StatusMetrics"/>, each
/// served here and reported as an observable gauge of the meter <see cref="MeterName"/> (Azure Monitor) from the
/// same last status read.
/// </summary>
public sealed class ControlPlaneMetrics
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly Lock _scrape = new();
    private readonly Counter _webhookEvents;
    private readonly Histogram _tickDuration;
    private readonly Histogram _reconcileDuration;
    private readonly Counter _apiServerErrors;
    private readonly List<(StatusMetric Definition, StatusGauge Gauge)> _status;
    private readonly Meter _meter;
    private readonly List<Instrument> _instruments;
    private readonly TimeProvider _clock;
    private volatile IReadOnlyDictionary<string, IReadOnlyList<StatusSample>>? _latest;
    private DateTimeOffset _latestTime;

    /// <summary>The OpenTelemetry meter of the status gauges (the Azure Monitor exporter reads it).</summary>
    public const string MeterName = "Serverless.Backup.Control";

    /// <summary>Status gauges older than this are no longer reported to OpenTelemetry (another instance may have taken over).</summary>
    public static readonly TimeSpan StatusLifetime = TimeSpan.FromMinutes(5);

    /// <param name="meterName">The meter's name; tests give each app its own, so that their exporters read only theirs.</param>
    /// <param name="clock">The clock that dates the last status read.</param>
    public ControlPlaneMetrics(string? meterName = null, TimeProvider? clock = null)
    {
        _clock = clock ?? TimeProvider.System;
        var factory = Metrics.WithCustomRegistry(_registry);
        _webhookEvents = factory.CreateCounter(Names.WebhookEventsTotal, "Runner webhook requests, by result (accepted, rejected) and reason.", Names.Labels.Result, Names.Labels.Reason);
        _tickDuration = factory.CreateHistogram(Names.TickDurationSeconds, "Duration of a schedule timer run (ScheduleTick, MaintenanceTick).", new HistogramConfiguration { LabelNames = [Names.Labels.Function] });
        _reconcileDuration = factory.CreateHistogram(Names.ReconcileDurationSeconds, "Duration of a Reconcile run.");
        _apiServerErrors = factory.CreateCounter(Names.ApiServerErrorsTotal, "Kubernetes API server calls that failed other than the expected 404 and 409, by status code (0: no answer).", Names.Labels.Code);
        // Each status gauge from its one definition: a Prometheus gauge here and an observable gauge of the meter.
        // Never disposed: the exporter collects the gauges one last time when the host stops, after the services
        // that use them are gone.
        _meter = new Meter(meterName ?? MeterName);
        _status = [.. StatusMetrics.All.Select(d => (d, new StatusGauge(factory.CreateGauge(d.Name, d.Help, [.. d.Labels]))))];
        _instruments = [.. StatusMetrics.All.Select(d => (Instrument)_meter.CreateObservableGauge(d.Name, () => Observe(d), description: d.Help))];
    }

    /// <summary>
    /// Whether an OpenTelemetry exporter reads the status gauges: only then are they worth refreshing without a
    /// scrape (<see cref="Endpoints.ControlApi"/> does after each Reconcile).
    /// </summary>
    public bool StatusObserved => _instruments.Any(i => i.Enabled);

    /// <summary>The samples of the last status read, as OpenTelemetry measurements (none once they are stale).</summary>
    private IEnumerable<Measurement<double>> Observe(StatusMetric definition)
    {
        var latest = _latest;
        if (latest is null || _clock.GetUtcNow() - _latestTime > StatusLifetime || !latest.TryGetValue(definition.Name, out var samples))
        {
            return [];
        }
        return samples.Select(sample => new Measurement<double>(sample.Value,
            definition.Labels.Select((label, i) => new KeyValuePair<string, object?>(label, sample.Labels[i])).ToArray()));
    }

    public void WebhookEvent(bool accepted, string reason) => _webhookEvents.WithLabels(accepted ? "accepted" : "rejected", reason).Inc();

    public IDisposable TimeTick(string function) => _tickDuration.WithLabels(function).NewTimer();

    public IDisposable TimeReconcile() => _reconcileDuration.NewTimer();

    public void ApiServerError(int statusCode) => _apiServerErrors.WithLabels(statusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();

    /// <summary>Sets the status-derived series from the resources as listed now; series of deleted resources go away.</summary>
    public void SetFromStatus(StatusSnapshot snapshot, string? defaultTimeZone, DateTimeOffset now)
    {
        var view = new StatusView(snapshot, defaultTimeZone, now);
        var latest = new Dictionary<string, IReadOnlyList<StatusSample>>();
        lock (_scrape)
        {
            foreach (var (definition, gauge) in _status)
            {
                var samples = definition.Read(view).ToList();
                gauge.Begin();
                foreach (var sample in samples)
                {
                    gauge.Set(sample.Value, sample.Labels);
                }
                gauge.End();
                latest[definition.Name] = samples;
            }
            _latestTime = _clock.GetUtcNow();
            _latest = latest;
        }
    }

    /// <summary>Every metric in the Prometheus text format.</summary>
    public Task ExportAsync(Stream output, CancellationToken cancellationToken) => _registry.CollectAndExportAsTextAsync(output, cancellationToken);

    /// <summary>A gauge whose label sets are replaced as a whole on each scrape: sets not seen again are removed.</summary>
    private sealed class StatusGauge(Gauge gauge)
    {
        private HashSet<string[]> _previous = new(LabelComparer.Instance);
        private HashSet<string[]> _current = new(LabelComparer.Instance);

        public void Begin() => _current = new(LabelComparer.Instance);

        public void Set(double value, params string[] labels)
        {
            gauge.WithLabels(labels).Set(value);
            _current.Add(labels);
        }

        public void End()
        {
            foreach (var gone in _previous.Where(p => !_current.Contains(p)))
            {
                gauge.RemoveLabelled(gone);
            }
            _previous = _current;
        }
    }

    private sealed class LabelComparer : IEqualityComparer<string[]>
    {
        public static readonly LabelComparer Instance = new();

        public bool Equals(string[]? x, string[]? y) => x is not null && y is not null && x.SequenceEqual(y);

        public int GetHashCode(string[] obj) => obj.Aggregate(17, (h, s) => (h * 31) + StringComparer.Ordinal.GetHashCode(s));
    }
}
