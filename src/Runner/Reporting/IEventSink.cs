using Serverless.Backup.Core.Events;

namespace Serverless.Backup.Runner.Reporting;

/// <summary>
/// Where runner events go: stdout (always), the Functions app's webhook, metrics. A sink never fails the run:
/// a sink that cannot deliver logs a warning and carries on.
/// </summary>
public interface IEventSink
{
    ValueTask PublishAsync(RunnerEvent runnerEvent, CancellationToken cancellationToken);
}
