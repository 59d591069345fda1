using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Serverless.Backup.WorkerHost.SampleWorker;

/// <summary>Two timers: one that always succeeds, one that fails when the app setting SAMPLE_TICK_FAILS is "true".</summary>
public sealed class TimerFunctions(IConfiguration configuration, ILogger<TimerFunctions> logger)
{
    public const string FailureMessage = "SampleFailingTick was told to fail by SAMPLE_TICK_FAILS";

    [Function("SampleTick")]
    public void Tick([TimerTrigger("0 */5 * * * *")] TimerInfo timer)
    {
        logger.LogInformation("SampleTick ran; past due: {IsPastDue}", timer.IsPastDue);
    }

    [Function("SampleFailingTick")]
    public void FailingTick([TimerTrigger("0 0 3 * * 0")] TimerInfo timer)
    {
        if (string.Equals(configuration["SAMPLE_TICK_FAILS"], "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(FailureMessage);
        }
        logger.LogInformation("SampleFailingTick ran without failing; past due: {IsPastDue}", timer.IsPastDue);
    }
}
