using Microsoft.Extensions.Logging;
using Serverless.Backup.Control.Cluster;
using Serverless.Backup.Control.Observability;

namespace Serverless.Backup.Control;

/// <summary>
/// One timer run's account, and the rule that keeps one bad resource from stopping the others: each resource is
/// processed on its own (<see cref="EachAsync{T}"/>); an invalid one is reported and skipped, one whose processing
/// throws is logged at error level naming it, and the run goes on. The summary is logged at warning level when
/// anything was skipped or invalid and at error level when anything failed, never as information.
/// </summary>
public sealed class TickReport(string function, ILogger log)
{
    public int Invalid { get; private set; }
    public int Failed { get; private set; }
    public int Skipped { get; set; }

    /// <summary>A resource that cannot be used as it is: an error naming it and the field, counted as invalid.</summary>
    public void Report(InvalidResource resource, LogFields? fields = null)
    {
        Invalid++;
        using (log.BeginScope((fields ?? new LogFields()) with { Namespace = resource.Namespace, Kind = resource.Kind, Function = function, Reason = "InvalidSpec" }))
        {
            log.ResourceInvalid(function, resource.Kind, resource.Namespace, resource.Name, resource.Problem);
        }
    }

    public void Report(IEnumerable<InvalidResource> resources)
    {
        foreach (var resource in resources)
        {
            Report(resource);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> for each item; an exception (a conflict that would not settle, an API server
    /// error, a bug) is logged naming the resource and the others go on. Cancellation still stops the run.
    /// </summary>
    public async Task EachAsync<T>(IEnumerable<T> items, Func<T, (string Kind, string Namespace, string Name)> identify, Func<T, Task> work, CancellationToken cancellationToken)
    {
        foreach (var item in items)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                await work(item);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var (kind, ns, name) = identify(item);
                Failed++;
                using (log.BeginScope(new LogFields { Namespace = ns, Kind = kind, Function = function, Reason = e.GetType().Name }))
                {
                    log.ResourceFailed(e, function, kind, ns, name, e.GetType().Name, e.Message);
                }
            }
        }
    }

    /// <summary>The run's summary line, logged at the level its counts call for, and returned for the invocation's log.</summary>
    public string Finish(string summary)
    {
        var level = Failed > 0 ? LogLevel.Error : Invalid > 0 || Skipped > 0 ? LogLevel.Warning : LogLevel.Information;
        using (log.BeginScope(new LogFields { Function = function }))
        {
            log.TickSummary(level, function, summary, Invalid, Failed);
        }
        return $"{function}: {summary}, {Invalid} invalid, {Failed} failed";
    }
}
