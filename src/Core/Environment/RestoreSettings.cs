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

    /// <summary>
    /// Restore to this second instead of to a snapshot: the newest full dump taken before it, then the archived
    /// binary logs replayed from the dump's position up to it. An RFC 3339 time with an offset, or 'latest' (the
    /// last archived event).
    /// </summary>
    [Env("RESTORE_POINT_IN_TIME", Hint = "an RFC 3339 time with an offset such as 2026-11-29T12:30:00Z, or 'latest'")]
    public string? PointInTime { get; init; }

    /// <summary>True when <see cref="PointInTime"/> is 'latest'.</summary>
    public bool PointInTimeLatest => PointInTime == "latest";

    /// <summary><see cref="PointInTime"/> parsed (whole seconds, UTC); null when unset, 'latest' or malformed.</summary>
    public DateTimeOffset? PointInTimeUtc => ParsePointInTime(PointInTime);

    /// <summary>An RFC 3339 time with an explicit offset (Z or ±hh:mm), in UTC; fractions of a second are cut off.</summary>
    public static DateTimeOffset? ParsePointInTime(string? text)
    {
        if (text is null || text.Length < 20 || !(text.EndsWith('Z') || text.EndsWith("z") || text[^6] is '+' or '-'))
        {
            return null;
        }
        if (!DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var time))
        {
            return null;
        }
        var utc = time.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
    }

    internal void Validate(List<string> errors)
    {
        string N(string p) => RunnerSettings.NameOf<RestoreSettings>(p);
        if (PointInTime is not null)
        {
            if (!PointInTimeLatest && PointInTimeUtc is null)
            {
                errors.Add($"{N(nameof(PointInTime))}='{PointInTime}' is not valid: set it to an RFC 3339 time with an offset such as 2026-11-29T12:30:00Z, or 'latest'");
            }
            if (FromSession is not null || Snapshots.Count > 0)
            {
                errors.Add($"{N(nameof(PointInTime))} is set together with {N(nameof(FromSession))} or {N(nameof(Snapshots))}: a point-in-time restore chooses its own dump; set only one of them");
            }
        }
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
