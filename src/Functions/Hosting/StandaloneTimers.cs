using Cronos;

namespace Serverless.Backup.Functions.Hosting;

/// <summary>
/// Standalone mode's timers: fires each timer function of the catalog on its own 6-field schedule, as the host
/// would (one run at a time per function; a run that fails is logged, not retried).
/// </summary>
public sealed class StandaloneTimers(IReadOnlyDictionary<string, TimerHandler> handlers, ILogger logger, TimeProvider clock)
{
    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(FunctionCatalog.All.Where(f => f.IsTimer && handlers.ContainsKey(f.Name)).Select(f => LoopAsync(f, cancellationToken)));

    private async Task LoopAsync(FunctionDefinition function, CancellationToken cancellationToken)
    {
        var schedule = CronExpression.Parse(function.Schedule!, CronFormat.IncludeSeconds);
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = clock.GetUtcNow();
            if (schedule.GetNextOccurrence(now.UtcDateTime) is not { } next)
            {
                return;
            }
            try
            {
                await Task.Delay(next - now.UtcDateTime, clock, cancellationToken);
                var invocation = new TimerInvocation { FunctionName = function.Name, UtcNow = clock.GetUtcNow() };
                foreach (var line in await handlers[function.Name](invocation, cancellationToken))
                {
                    logger.LogInformation("{Function}: {Line}", function.Name, line);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "{Function} failed; the next run is on schedule", function.Name);
            }
        }
    }
}
