namespace Serverless.Backup.Runner.Maintenance;

/// <summary>What a lock clean-up found, removed and left (held by sessions that may be live).</summary>
public sealed record LockOutcome(int Found, int Removed, int Remaining);
