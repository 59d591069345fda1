namespace Serverless.Backup.Core.Resources;

/// <summary>One restore from a Repository into an AppBinding (Stash's RestoreSession).</summary>
public sealed class RestoreSession : Resource<RestoreSessionSpec, SessionStatus>
{
    public const string KindName = "RestoreSession";
    public const string Plural = "restoresessions";

    public RestoreSession() => Kind = KindName;
}

public sealed record RestoreSessionSpec
{
    public ObjectRef Repository { get; init; } = new();
    public RestoreTarget Target { get; init; } = new();
    public string? TimeOut { get; init; }
}

public sealed record RestoreTarget
{
    public TargetRef Ref { get; init; } = new();
    public IReadOnlyList<RestoreRule> Rules { get; init; } = [];
}

/// <summary>Which snapshot to restore (a BackupSession name, snapshot ids, or latest) and which databases, optionally renamed.</summary>
public sealed record RestoreRule
{
    public string? FromSession { get; init; }
    public IReadOnlyList<string>? Snapshots { get; init; }
    public IReadOnlyList<string>? Databases { get; init; }
    public IReadOnlyDictionary<string, string>? Rename { get; init; }
}
