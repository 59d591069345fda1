namespace Serverless.Backup.Core.Resources;

/// <summary>
/// The phases of a BackupSession or RestoreSession. They only move forward:
/// Pending -> Running -> Succeeded | Failed; Skipped and Invalid are final from the start.
/// </summary>
public static class SessionPhase
{
    public const string Pending = "Pending";
    public const string Running = "Running";
    public const string Succeeded = "Succeeded";
    public const string Failed = "Failed";
    public const string Skipped = "Skipped";
    public const string Invalid = "Invalid";

    public static bool IsFinal(string? phase) => phase is Succeeded or Failed or Skipped or Invalid;

    public static bool IsActive(string? phase) => phase is null or Pending or Running;

    private static int Rank(string? phase) => phase switch
    {
        null or "" => 0,
        Pending => 1,
        Running => 2,
        _ => 3,
    };

    /// <summary>Whether a session may go from <paramref name="from"/> to <paramref name="to"/> (never backwards, never out of a final phase).</summary>
    public static bool CanMove(string? from, string to) => !IsFinal(from) && Rank(to) > Rank(from);
}
