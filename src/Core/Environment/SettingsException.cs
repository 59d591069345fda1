namespace Serverless.Backup.Core.Environment;

/// <summary>One or more settings are missing or malformed; every message names the variable and the fix.</summary>
public sealed class SettingsException(IReadOnlyList<string> errors)
    : Exception(string.Join("; ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
