using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Backup.Control.Cluster;
using Serverless.Backup.Control.Jobs;
using Serverless.Backup.Control.Observability;
using Serverless.Backup.Control.Settings;
using Serverless.Backup.Core.Webhook;

namespace Serverless.Backup.Control.Endpoints;

/// <summary>
/// The control plane behind every function, whichever host runs it: the Functions worker and the standalone server
/// only turn their requests into <see cref="ApiRequest"/>s and their answers back. Errors a client can fix are 4xx
/// with problem details; an unexpected failure is a 500 that names the function and is logged.
/// </summary>
public sealed class ControlApi
{
    private readonly SessionApi _sessions;
    private readonly SessionEvents _events;
    private readonly MaintenanceScheduler _maintenance;
    private readonly RepositoryApi _repositories;
    private readonly PointInTimeApi _pointInTime;
    private readonly ILogger _log;
    private readonly ControlPlaneMetrics _metrics;

    /// <summary>
    /// The source of the Activity a timer run gets when its host gives it none (the standalone server): the
    /// sessions it creates then share one operation id, and with an exporter the run is a request in Application
    /// Insights, named after the function.
    /// </summary>
    public static readonly ActivitySource Source = new(ControlPlaneMetrics.MeterName);

    public ControlApi(AppSettings settings, IClusterGateway cluster, TimeProvider clock, ControlPlaneMetrics metrics, ILoggerFactory? loggers = null)
    {
        loggers ??= NullLoggerFactory.Instance;
        _log = loggers.CreateLogger<ControlApi>();
        var jobOptions = new RunnerJobOptions { Image = settings.RunnerImage, WebhookBaseUrl = settings.WebhookBaseUrl, PushgatewayUrl = settings.PushgatewayUrl };
        var telemetry = new SessionTelemetry(loggers.CreateLogger(SessionTelemetry.Category));
        _metrics = metrics;
        Control = new ControlPlane(cluster, settings, jobOptions, clock, metrics, loggers.CreateLogger<ControlPlane>(), telemetry);
        _sessions = new SessionApi(cluster, Control, clock);
        _events = new SessionEvents(cluster, settings, clock, metrics, loggers.CreateLogger<SessionEvents>(), telemetry);
        _maintenance = new MaintenanceScheduler(cluster, settings, clock, metrics, loggers.CreateLogger<MaintenanceScheduler>(), telemetry);
        _repositories = new RepositoryApi(cluster, _maintenance, metrics, settings, clock);
        _pointInTime = new PointInTimeApi(cluster, Control, clock);
    }

    public ControlPlane Control { get; }

    /// <summary>
    /// Runs a timer function and answers its summary line. Throws when the tick itself could not run (its list
    /// calls failed), so that the host records a failed invocation; a tick that skipped invalid resources returns.
    /// </summary>
    public async Task<string> RunTimerAsync(string name, CancellationToken cancellationToken)
    {
        using var activity = Activity.Current is null ? Source.StartActivity(name, ActivityKind.Server) : null;
        try
        {
            var summary = await (name switch
            {
                FunctionNames.ScheduleTick => Control.ScheduleTickAsync(cancellationToken),
                FunctionNames.Reconcile => Control.ReconcileAsync(cancellationToken),
                FunctionNames.MaintenanceTick => _maintenance.MaintenanceTickAsync(cancellationToken),
                _ => throw new ArgumentException($"no timer function {name}", nameof(name)),
            });
            if (name == FunctionNames.Reconcile && _metrics.StatusObserved)
            {
                await RefreshStatusMetricsAsync(cancellationToken);
            }
            return summary;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            using (_log.BeginScope(new LogFields { Function = name }))
            {
                _log.FunctionFailed(e, name, e.GetType().Name, e.Message);
            }
            throw;
        }
    }

    /// <summary>
    /// The status gauges for OpenTelemetry, which has no scrape: once a minute, after Reconcile (whose timer runs on
    /// one instance at a time). A failure here is logged and leaves the timer's run a success.
    /// </summary>
    private async Task RefreshStatusMetricsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _repositories.RefreshStatusMetricsAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            using (_log.BeginScope(new LogFields { Function = FunctionNames.Reconcile }))
            {
                _log.FunctionFailed(e, "Reconcile (status metrics)", e.GetType().Name, e.Message);
            }
        }
    }

    /// <summary>Runs an HTTP function; every outcome is an answer, never an exception (cancellation aside).</summary>
    public async Task<ApiResult> InvokeAsync(string function, ApiRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await DispatchAsync(function, request, cancellationToken);
        }
        catch (InvalidResourceException e)
        {
            // A resource the request names exists but cannot be read: the client can fix it, so no 5xx.
            return ApiResult.Error(422, e.Resource.ToString());
        }
        catch (ConflictException e)
        {
            return ApiResult.Error(409, $"{e.Message}: try again");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            using (_log.BeginScope(new LogFields { Function = function }))
            {
                _log.FunctionFailed(e, function, e.GetType().Name, e.Message);
            }
            return ApiResult.Error(500, $"{function} failed ({e.GetType().Name}); the app's log has the details");
        }
    }

    private async Task<ApiResult> DispatchAsync(string function, ApiRequest request, CancellationToken ct)
    {
        switch (function)
        {
            case FunctionNames.SessionEvents:
                var outcome = await _events.HandleAsync(request.Header(WebhookSignature.SessionHeader), request.Header(WebhookSignature.TimestampHeader),
                    request.Header(WebhookSignature.SignatureHeader), request.Body, ct);
                return outcome.Status == 200 ? new ApiResult(200, new EventAccepted(outcome.Message)) : ApiResult.Error(outcome.Status, outcome.Message);
            case FunctionNames.TriggerBackup:
                return await _sessions.TriggerBackupAsync(request.RouteValue("namespace"), request.RouteValue("name"), ct);
            case FunctionNames.CreateRestore:
                return await _sessions.CreateRestoreAsync(request.RouteValue("namespace"), request.Body, ct);
            case FunctionNames.GetSession:
                return await _sessions.GetSessionAsync(request.RouteValue("namespace"), request.RouteValue("kind"), request.RouteValue("name"), ct);
            case FunctionNames.ListSessions:
                return await _sessions.ListSessionsAsync(request.Query("namespace"), request.Query("configuration"), ct);
            case FunctionNames.ListSnapshots:
                return await _repositories.ListSnapshotsAsync(request.RouteValue("namespace"), request.RouteValue("name"), request.Query("configuration"), request.Query("database"), ct);
            case FunctionNames.GetPointInTime:
                return await _pointInTime.GetAsync(request.RouteValue("namespace"), request.RouteValue("name"), ct);
            case FunctionNames.StartMaintenance:
                return await _repositories.StartMaintenanceAsync(request.RouteValue("namespace"), request.RouteValue("name"), request.Body, ct);
            case FunctionNames.Metrics:
                using (var text = new MemoryStream())
                {
                    await _repositories.WriteMetricsAsync(text, ct);
                    return ApiResult.Text(System.Text.Encoding.UTF8.GetString(text.ToArray()), ControlPlaneMetrics.ContentType);
                }
            case FunctionNames.OpenApiDocument:
                return ApiResult.Text(ApiDocument.Json, "application/json");
            default:
                return ApiResult.Error(404, $"no function {function}");
        }
    }
}
