namespace Serverless.Backup.Functions.Jobs;

/// <summary>A resource cannot be turned into a Job; the message names the resource field and the fix.</summary>
public sealed class JobInputException(string message) : Exception(message);
