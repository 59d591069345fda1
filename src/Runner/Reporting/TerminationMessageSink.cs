using Serverless.Backup.Core.Events;

namespace Serverless.Backup.Runner.Reporting;

/// <summary>
/// Writes a failed run's reason and message to the container's termination message file, where Kubernetes
/// reads it into the pod status (the Functions app's Reconcile shows it on the session when the webhook never
/// got through). Without the file the kubelet would fall back to the last log lines, which are JSON. The file
/// exists only in a pod (the kubelet mounts it, also on a read-only root filesystem); elsewhere nothing is written.
/// </summary>
public sealed class TerminationMessageSink(string path) : IEventSink
{

    /// <summary>Kubernetes keeps at most 4096 bytes of a termination message.</summary>
    private const int MaxCharacters = 3000;

    public async ValueTask PublishAsync(RunnerEvent runnerEvent, CancellationToken cancellationToken)
    {
        if (runnerEvent is not FailedEvent failed || !File.Exists(path))
        {
            return;
        }
        var text = $"{failed.Reason}: {(failed.Database is null ? "" : failed.Database + ": ")}{failed.Message}";
        await File.WriteAllTextAsync(path, text.Length > MaxCharacters ? text[..MaxCharacters] : text, cancellationToken);
    }
}
