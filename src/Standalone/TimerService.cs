using Cronos;
using Serverless.Backup.Control.Endpoints;
using Serverless.Backup.Control.Observability;

namespace Serverless.Backup.Standalone;

/// <summary>
/// The timers, as the Functions host would fire them: each on its NCRONTAB schedule (the app setting the Functions
/// app names, with the same default), one run at a time each. A timer is switched off as on Azure, with the setting
/// <c>AzureWebJobs.{Name}.Disabled=true</c>.
/// </summary>
public sealed partial class TimerService(ControlApi api, IConfiguration configuration, TimeProvider clock, ILogger<TimerService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var timers = new List<Task>();
        foreach (var function in StandaloneRoutes.Timers)
        {
            var trigger = (TimerTrigger)function.Trigger;
            if (configuration.GetValue<bool>($"AzureWebJobs.{function.Name}.Disabled"))
            {
                using (log.BeginScope(new LogFields { Function = function.Name }))
                {
                    Disabled(log, function.Name);
                }
                continue;
            }
            // Checked when the app started (ControlPlaneServices): a malformed schedule stops the app.
            var expression = configuration[trigger.Setting] is { Length: > 0 } set ? set : trigger.Default;
            var schedule = CronExpression.Parse(expression, CronFormat.IncludeSeconds);
            timers.Add(RunAsync(function.Name, schedule, stoppingToken));
        }
        await Task.WhenAll(timers);
    }

    private async Task RunAsync(string name, CronExpression schedule, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = clock.GetUtcNow().UtcDateTime;
            var next = schedule.GetNextOccurrence(now, TimeZoneInfo.Utc) ?? now.AddMinutes(1);
            try
            {
                await Task.Delay(next - now, clock, stoppingToken);
                // The tick logs its own summary, at the level its outcome calls for.
                await api.RunTimerAsync(name, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // Logged by the control plane; the next slot runs as usual.
            }
        }
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "{Function} is disabled (AzureWebJobs.{Function}.Disabled)")]
    private static partial void Disabled(ILogger logger, string function);
}
