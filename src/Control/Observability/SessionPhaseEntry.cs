namespace Serverless.Backup.Control.Observability;

/// <summary>One session for the sessions-by-phase gauge.</summary>
public sealed record SessionPhaseEntry(string Namespace, string Kind, string? Phase);
