using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Serverless.Backup.Control.Observability;

/// <summary>What the host already sends to Application Insights itself, so that the control plane's telemetry adds only the rest.</summary>
public enum TelemetryHost
{
    /// <summary>
    /// The Functions worker: its Application Insights package sends the invocations' logs, calls and exceptions, so
    /// OpenTelemetry exports only the session events and the status gauges.
    /// </summary>
    FunctionsWorker,
    /// <summary>The standalone server: OpenTelemetry exports its logs and timer runs too.</summary>
    Standalone,
}

/// <summary>
/// The control plane's telemetry to Azure Monitor: OpenTelemetry with the Azure Monitor exporter, only when
/// <see cref="ConnectionStringSetting"/> is set (without it nothing is sent and no exporter runs). Exported: the
/// session events of <see cref="SessionTelemetry"/> (AppEvents), the status gauges of <see cref="StatusMetrics"/>
/// (AppMetrics, under the same names as on /api/metrics), and for the standalone server its log (AppTraces) and
/// timer runs (AppRequests).
/// </summary>
public static class TelemetryServices
{
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>The cloud role name (service.name) when the platform gives none (WEBSITE_SITE_NAME on Azure).</summary>
    public const string DefaultServiceName = "mysql-backup-control";

    /// <summary>
    /// Registers the telemetry. The session events reach only OpenTelemetry's log provider: the console, the
    /// Functions host and the Application Insights package never see them (the log lines of the same moments say
    /// it in words). <paramref name="configure"/> adds exporters of its own (tests read everything in memory).
    /// </summary>
    public static IServiceCollection AddBackupTelemetry(this IServiceCollection services, IConfiguration configuration, TelemetryHost host, Action<OpenTelemetryBuilder>? configure = null)
    {
        services.AddLogging(logging =>
        {
            logging.AddFilter(SessionTelemetry.Category, LogLevel.None);
            logging.AddFilter<OpenTelemetryLoggerProvider>(SessionTelemetry.Category, LogLevel.Information);
            if (host == TelemetryHost.FunctionsWorker)
            {
                // The worker's own logs go to Application Insights through its package already.
                logging.AddFilter<OpenTelemetryLoggerProvider>(null, LogLevel.None);
            }
        });
        var connectionString = configuration[ConnectionStringSetting];
        if (string.IsNullOrWhiteSpace(connectionString) && configure is null)
        {
            return services;
        }
        var telemetry = services.AddOpenTelemetry();
        telemetry.ConfigureResource(resource => resource.AddService(configuration["WEBSITE_SITE_NAME"] is { Length: > 0 } site ? site : DefaultServiceName));
        telemetry.WithMetrics(metrics => metrics.AddMeter(ControlPlaneMetrics.MeterName));
        telemetry.WithLogging(_ => { }, options =>
        {
            options.IncludeFormattedMessage = true;
            options.IncludeScopes = host == TelemetryHost.Standalone;
        });
        if (host == TelemetryHost.Standalone)
        {
            telemetry.WithTracing(tracing => tracing.AddSource(ControlPlaneMetrics.MeterName));
        }
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            void Options(AzureMonitorExporterOptions options)
            {
                options.ConnectionString = connectionString;
                // A session's events are kept whatever the sampling of the operation they belong to (the Functions
                // host's invocation is not sampled by OpenTelemetry here): they are the record of the backups.
                options.EnableTraceBasedLogsSampler = false;
                options.EnableLiveMetrics = false;
            }
            telemetry.WithMetrics(metrics => metrics.AddAzureMonitorMetricExporter(Options));
            telemetry.WithLogging(logging => logging.AddAzureMonitorLogExporter(Options));
            if (host == TelemetryHost.Standalone)
            {
                telemetry.WithTracing(tracing => tracing.AddAzureMonitorTraceExporter(Options));
            }
        }
        configure?.Invoke(telemetry);
        return services;
    }
}
