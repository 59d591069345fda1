using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Serverless.Backup.Control.Endpoints;

namespace Serverless.Backup.Functions;

/// <summary>
/// The timers. Their schedules are app settings (<see cref="TimerSchedules"/>). A tick that skipped invalid resources
/// returns (it logged them); a tick that could not run at all throws, so the invocation fails in the host, in
/// Application Insights and in the portal.
/// </summary>
public sealed class TimerFunctions(ControlApi api, ILogger<TimerFunctions> logger)
{
    [Function(FunctionNames.ScheduleTick)]
    public Task ScheduleTick([TimerTrigger(TimerSchedules.ScheduleTick)] TimerInfo timer, CancellationToken cancellationToken) =>
        RunAsync(FunctionNames.ScheduleTick, timer, cancellationToken);

    [Function(FunctionNames.Reconcile)]
    public Task Reconcile([TimerTrigger(TimerSchedules.Reconcile)] TimerInfo timer, CancellationToken cancellationToken) =>
        RunAsync(FunctionNames.Reconcile, timer, cancellationToken);

    [Function(FunctionNames.MaintenanceTick)]
    public Task MaintenanceTick([TimerTrigger(TimerSchedules.MaintenanceTick)] TimerInfo timer, CancellationToken cancellationToken) =>
        RunAsync(FunctionNames.MaintenanceTick, timer, cancellationToken);

    private async Task RunAsync(string name, TimerInfo timer, CancellationToken cancellationToken)
    {
        if (timer.IsPastDue)
        {
            logger.LogWarning("{Function}: past due (last run {LastRun})", name, timer.ScheduleStatus?.Last.ToString("u") ?? "never");
        }
        // The tick logs its own summary at the level its outcome calls for; a tick that cannot run logs why and
        // throws, and the host records the failed invocation.
        await api.RunTimerAsync(name, cancellationToken);
    }
}
