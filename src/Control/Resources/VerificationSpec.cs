using System.Text.Json.Serialization;
using Serverless.Backup.Core.Environment;
using YamlDotNet.Serialization;

namespace Serverless.Backup.Control.Resources;

/// <summary>
/// spec.verification of a BackupConfiguration: on its schedule a MaintenanceSession with task verify restores the
/// newest snapshot of each database into a scratch database, proves it equal to what was dumped, runs the checks
/// and drops it. Without the field nothing is verified on a schedule (StartMaintenance may still verify).
/// </summary>
public sealed record VerificationSpec
{
    /// <summary>Weekly, Sunday 03:00, unless set.</summary>
    public const string DefaultSchedule = "0 3 * * 0";
    public const string DefaultPrefix = "verify_";

    /// <summary>Standard 5-field cron, in the configuration's time zone.</summary>
    public string? Schedule { get; init; }
    public bool Paused { get; init; }
    /// <summary>The AppBinding of a scratch server; absent: the source server, under scratch database names.</summary>
    public TargetRef? Target { get; init; }
    /// <summary>The prefix of scratch database names (default verify_).</summary>
    public string? DatabasePrefix { get; init; }
    public List<VerificationCheck>? Checks { get; init; }
    /// <summary>The verify session's deadline, a Go-style duration (default: the app's runner timeout).</summary>
    public string? TimeOut { get; init; }
}

/// <summary>status.lastVerification of a BackupConfiguration: the outcome of its newest finished verify session.</summary>
public sealed record VerificationStatus
{
    public DateTimeOffset? Time { get; init; }
    public string? SessionName { get; init; }
    /// <summary>Succeeded or Failed.</summary>
    public string? Result { get; init; }
    public List<string>? SnapshotIds { get; init; }
    public double? DurationSeconds { get; init; }
    /// <summary>What was proved, or what failed: the first differing table, the failed check, the runner's error.</summary>
    public string? Message { get; init; }
}

/// <summary>
/// One check of spec.verification.checks: the runner's <see cref="VerifyCheck"/> as the resource spells it. The
/// field is "equals", which a C# member cannot be called, so both JSON (the API server) and YAML (folder mode) are
/// told the name.
/// </summary>
public sealed record VerificationCheck
{
    public string? Name { get; init; }
    public string? Database { get; init; }
    public string? Sql { get; init; }
    public decimal? Min { get; init; }
    public decimal? Max { get; init; }
    [JsonPropertyName("equals")]
    [YamlMember(Alias = "equals", ApplyNamingConventions = false)]
    public decimal? EqualTo { get; init; }

    public VerifyCheck ToRunner() => new() { Name = Name, Database = Database, Sql = Sql, Min = Min, Max = Max, EqualTo = EqualTo };
}

/// <summary>A snapshot a verification proved: it restored to the same data, and when.</summary>
public sealed record VerifiedSnapshot
{
    /// <summary>The most snapshots status.verifiedSnapshots keeps (more than the snapshot list shows).</summary>
    public const int MaxKept = 200;

    public string? Id { get; init; }
    public DateTimeOffset? Time { get; init; }

    /// <summary>
    /// The list after <paramref name="verification"/>: its snapshots added when it succeeded, taken off when it
    /// failed; newest first, bounded.
    /// </summary>
    public static List<VerifiedSnapshot> After(IReadOnlyList<VerifiedSnapshot>? current, VerificationStatus verification)
    {
        var ids = (verification.SnapshotIds ?? []).Where(id => id is { Length: >= 8 }).ToHashSet(StringComparer.Ordinal);
        var kept = (current ?? []).Where(v => v?.Id is not null && !ids.Contains(v.Id));
        var added = verification.Result == "Succeeded" && verification.Time is { } time
            ? ids.Select(id => new VerifiedSnapshot { Id = id, Time = time })
            : [];
        return added.Concat(kept).OrderByDescending(v => v.Time).Take(MaxKept).ToList();
    }
}
