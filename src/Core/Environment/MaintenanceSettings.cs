namespace Serverless.Backup.Core.Environment;

/// <summary>Repository maintenance: lock handling for every verb, and the integrity check.</summary>
public sealed record MaintenanceSettings
{
    [Env("REPOSITORY_EXCLUSIVE", Hint = "true when no other session uses the repository (the control plane knows): every lock is then removed; false removes only locks restic calls stale")]
    public bool Exclusive { get; init; }

    [Env("RESTIC_CHECK_READ_DATA_SUBSET", Hint = "the part of the data the check reads, such as 10% or 1/5 (default: none, structure only)")]
    public string? ReadDataSubset { get; init; }

    internal void Validate(List<string> errors)
    {
        if (ReadDataSubset is { } subset && !IsSubset(subset))
        {
            errors.Add($"{RunnerSettings.NameOf<MaintenanceSettings>(nameof(ReadDataSubset))}='{subset}' is not valid: set it to a percentage such as 10% or a part such as 1/5");
        }
    }

    /// <summary>restic's forms: n/t (1 &lt;= n &lt;= t), a percentage above 0 and at most 100, or a size such as 500M.</summary>
    public static bool IsSubset(string subset)
    {
        var slash = subset.Split('/');
        if (slash.Length == 2)
        {
            return int.TryParse(slash[0], out var n) && int.TryParse(slash[1], out var t) && n >= 1 && n <= t;
        }
        if (subset.EndsWith('%'))
        {
            return double.TryParse(subset[..^1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var p) && p > 0 && p <= 100;
        }
        return subset.Length > 1 && "KMGT".Contains(char.ToUpperInvariant(subset[^1])) && long.TryParse(subset[..^1], out var size) && size > 0;
    }
}
