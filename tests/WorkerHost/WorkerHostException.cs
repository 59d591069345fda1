namespace Serverless.Backup.WorkerHost;

/// <summary>The worker did not follow the protocol as the host expects (did not start, connect, answer, or answered out of order).</summary>
public sealed class WorkerHostException(string message, Exception? inner = null) : Exception(message, inner);
