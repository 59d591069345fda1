namespace Serverless.Backup.Core.Environment;

/// <summary>What to restore and where to.</summary>
public sealed record RestoreSettings
{
    [Env("RESTORE_FROM_SESSION", Hint = "the name of the BackupSession whose snapshots to restore")]
    public string? FromSession { get; init; }

    [Env("RESTORE_SNAPSHOTS", Hint = "a comma-separated list of snapshot ids, or 'latest'")]
    public IReadOnlyList<string> Snapshots { get; init; } = [];

    [Env("RESTORE_DATABASES", Hint = "a comma-separated list of the databases to restore, or a JSON array such as [\"weird db\", \"shop\"] (default: all of the snapshots' databases)")]
    public IReadOnlyList<string> Databases { get; init; } = [];

    [Env("RESTORE_RENAME", Hint = "comma-separated pairs source=target such as shop=shop_copy, or a JSON object such as {\"weird db\": \"weird copy\"}")]
    public IReadOnlyDictionary<string, string> Rename { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Whether a target database that exists and holds tables, views, routines or events may be written into.
    /// Off by default: a typo in a target name must not replace a live database's tables.
    /// </summary>
    [Env("RESTORE_OVERWRITE", Hint = "true to restore into target databases that already hold tables (their tables are replaced), false to refuse them")]
    public bool Overwrite { get; init; }

    internal void Validate(List<string> errors)
    {
        string N(string p) => RunnerSettings.NameOf<RestoreSettings>(p);
        if (FromSession is not null && Snapshots.Count > 0)
        {
            errors.Add($"{N(nameof(FromSession))} and {N(nameof(Snapshots))} are both set: set only one of them");
        }
        foreach (var id in Snapshots.Where(s => s != "latest" && !Names.IsSnapshotId(s)))
        {
            errors.Add($"{N(nameof(Snapshots))} has '{id}', which is not a snapshot id: use 'latest' or 8 to 64 hex digits");
        }
        errors.AddRange(RestoreTargets.Check(Databases, Rename, N(nameof(Databases)), N(nameof(Rename))));
    }
}
