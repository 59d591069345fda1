using Serverless.Backup.Core.Events;

namespace Serverless.Backup.Runner.Reporting;

/// <summary>One JSON event a line on stdout: what a Job's log shows and what tests and scripts read.</summary>
public sealed class StdoutEventSink(TextWriter output) : IEventSink
{
    public async ValueTask PublishAsync(RunnerEvent runnerEvent, CancellationToken cancellationToken)
    {
        await output.WriteLineAsync(RunnerJson.Serialize(runnerEvent).AsMemory(), cancellationToken);
        await output.FlushAsync(cancellationToken);
    }
}
