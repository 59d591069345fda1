namespace Serverless.Backup.Core.Environment;

/// <summary>
/// The configuration's retention policy (Stash's retentionPolicy). It applies per configuration and database:
/// snapshots of other configurations in a shared repository are never touched. Unset (every keep empty) means
/// no retention.
/// </summary>
public sealed record RetentionSettings
{
    [Env("RETENTION_KEEP_LAST", Hint = "the number of newest snapshots to keep per database, a whole number above 0")]
    public int? KeepLast { get; init; }

    [Env("RETENTION_KEEP_HOURLY", Hint = "the number of hourly snapshots to keep, a whole number above 0")]
    public int? KeepHourly { get; init; }

    [Env("RETENTION_KEEP_DAILY", Hint = "the number of daily snapshots to keep, a whole number above 0")]
    public int? KeepDaily { get; init; }

    [Env("RETENTION_KEEP_WEEKLY", Hint = "the number of weekly snapshots to keep, a whole number above 0")]
    public int? KeepWeekly { get; init; }

    [Env("RETENTION_KEEP_MONTHLY", Hint = "the number of monthly snapshots to keep, a whole number above 0")]
    public int? KeepMonthly { get; init; }

    [Env("RETENTION_KEEP_YEARLY", Hint = "the number of yearly snapshots to keep, a whole number above 0")]
    public int? KeepYearly { get; init; }

    [Env("RETENTION_KEEP_TAGS", Hint = "a comma-separated list of restic tags whose snapshots are always kept")]
    public IReadOnlyList<string> KeepTags { get; init; } = [];

    [Env("RETENTION_PRUNE", Hint = "true to prune (free the space of) forgotten data, false to only forget")]
    public bool Prune { get; init; }

    [Env("RETENTION_DRY_RUN", Hint = "true to report what would be removed without removing anything")]
    public bool DryRun { get; init; }

    /// <summary>Whether any keep rule is set (no rule: no retention).</summary>
    public bool IsSet => KeepLast is not null || KeepHourly is not null || KeepDaily is not null || KeepWeekly is not null
        || KeepMonthly is not null || KeepYearly is not null || KeepTags.Count > 0;

    internal void Validate(List<string> errors, bool required)
    {
        string N(string p) => RunnerSettings.NameOf<RetentionSettings>(p);
        (int? Value, string Property)[] keeps =
        [
            (KeepLast, nameof(KeepLast)), (KeepHourly, nameof(KeepHourly)), (KeepDaily, nameof(KeepDaily)),
            (KeepWeekly, nameof(KeepWeekly)), (KeepMonthly, nameof(KeepMonthly)), (KeepYearly, nameof(KeepYearly)),
        ];
        foreach (var (value, property) in keeps.Where(k => k.Value < 0))
        {
            errors.Add($"{N(property)}={value} is negative: set it to a whole number above 0, or leave it unset");
        }
        if ((IsSet || required) && keeps.All(k => k.Value is null or <= 0) && KeepTags.Count == 0)
        {
            errors.Add($"{N(nameof(KeepLast))} and every other RETENTION_KEEP_* are unset or zero, which would remove every snapshot: set at least one of them above 0");
        }
    }
}
