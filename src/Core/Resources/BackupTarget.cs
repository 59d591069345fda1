namespace Serverless.Backup.Core.Resources;

/// <summary>What a configuration backs up: the AppBinding and, optionally, which databases (default: all user databases).</summary>
public sealed record BackupTarget
{
    public TargetRef Ref { get; init; } = new();
    public IReadOnlyList<string>? Databases { get; init; }
    public IReadOnlyList<string>? Args { get; init; }
}
