namespace Serverless.Backup.Runner.Storage;

/// <summary>
/// The storage behind the repository could not be reached or refused the credentials. The message names the
/// endpoint and the setting to fix; the runner reports it as FailureReason.StorageUnreachable.
/// </summary>
public sealed class StorageUnreachableException(string message, Exception? inner = null) : Exception(message, inner);
