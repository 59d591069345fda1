using Serverless.Backup.Control.Schedules;

using Serverless.Backup.Core;

namespace Serverless.Backup.Control.Resources;

/// <summary>Checks of user-written resources; each error names the field and the fix.</summary>
public static class ResourceValidation
{
    public static List<string> Validate(BackupConfiguration configuration)
    {
        var errors = new List<string>();
        var spec = configuration.Spec;
        CheckName(errors, configuration.Name, "metadata.name");
        CheckLabel(errors, configuration.Name, "metadata.name");
        CheckLabel(errors, spec.Repository.Name, "spec.repository.name");
        if (!BackupSchedule.TryParse(spec.Schedule, spec.TimeZone, out _, out var scheduleError))
        {
            errors.Add(scheduleError!);
        }
        CheckName(errors, spec.Repository.Name, "spec.repository.name");
        CheckName(errors, spec.Target.Ref.Name, "spec.target.ref.name");
        if (spec.Target.Ref.Kind != "AppBinding")
        {
            errors.Add($"spec.target.ref.kind '{spec.Target.Ref.Kind}' is not supported: use AppBinding");
        }
        foreach (var database in spec.Target.Databases ?? [])
        {
            if (DatabaseNames.Problem(database) is { } problem)
            {
                errors.Add(DatabaseNames.Malformed("spec.target.databases", database, problem));
            }
        }
        if (spec.BackupHistoryLimit is < 0 or > MaxHistoryLimit)
        {
            errors.Add($"spec.backupHistoryLimit {spec.BackupHistoryLimit} is out of range: set 0 to {MaxHistoryLimit} finished sessions to keep");
        }
        if (spec.StartingDeadlineSeconds is < 0 or > MaxStartingDeadlineSeconds)
        {
            errors.Add($"spec.startingDeadlineSeconds {spec.StartingDeadlineSeconds} is out of range: set 0 to {MaxStartingDeadlineSeconds} seconds (4 years), how late a missed slot may still run, or leave it empty for {600}");
        }
        CheckDuration(errors, spec.TimeOut, "spec.timeOut");
        if (spec.RetentionPolicy is { } retention)
        {
            int?[] keeps = [retention.KeepLast, retention.KeepHourly, retention.KeepDaily, retention.KeepWeekly, retention.KeepMonthly, retention.KeepYearly];
            if (keeps.All(k => k is null or <= 0) && (retention.KeepTags?.Count ?? 0) == 0)
            {
                errors.Add("spec.retentionPolicy keeps nothing (every keep field is empty, zero or negative), which would delete every snapshot: set keepLast or another keep field above 0, or remove the retentionPolicy");
            }
            foreach (var (value, field) in keeps.Zip(new[] { "keepLast", "keepHourly", "keepDaily", "keepWeekly", "keepMonthly", "keepYearly" }))
            {
                if (value < 0)
                {
                    errors.Add($"spec.retentionPolicy.{field} {value} is negative: use 0 or more");
                }
            }
        }
        return errors;
    }

    public static List<string> Validate(RestoreSession restore)
    {
        var errors = new List<string>();
        var spec = restore.Spec;
        CheckName(errors, restore.Name, "metadata.name");
        CheckName(errors, spec.Repository.Name, "spec.repository.name");
        CheckLabel(errors, spec.Repository.Name, "spec.repository.name");
        CheckName(errors, spec.Target.Ref.Name, "spec.target.ref.name");
        if (spec.FromSession is not null && spec.Snapshots is { Count: > 0 })
        {
            errors.Add("spec.fromSession and spec.snapshots are both set: set only one of them");
        }
        if (spec.FromSession is not null && !Names.IsDnsSubdomain(spec.FromSession))
        {
            errors.Add($"spec.fromSession '{spec.FromSession}' is not a session name");
        }
        foreach (var id in spec.Snapshots ?? [])
        {
            if (id is null || (id != "latest" && !Names.IsSnapshotId(id)))
            {
                errors.Add($"spec.snapshots has '{GoDuration.Shorten(id ?? "null")}', which is not a snapshot id: use 'latest' or 8 to 64 hex digits");
            }
        }
        errors.AddRange(RestoreTargets.Check(spec.Databases, spec.Rename, "spec.databases", "spec.rename"));
        CheckDuration(errors, spec.TimeOut, "spec.timeOut");
        if (spec.PointInTime is { } pointInTime)
        {
            if (pointInTime != "latest" && Serverless.Backup.Core.Environment.RestoreSettings.ParsePointInTime(pointInTime) is null)
            {
                errors.Add($"spec.pointInTime '{GoDuration.Shorten(pointInTime)}' is not valid: use an RFC 3339 time with an offset such as 2026-11-29T12:30:00Z, or 'latest'");
            }
            if (spec.FromSession is not null || spec.Snapshots is { Count: > 0 })
            {
                errors.Add("spec.pointInTime is set together with spec.fromSession or spec.snapshots: a point-in-time restore chooses its own dump; set only one of them");
            }
        }
        if (spec.Configuration is not null)
        {
            CheckName(errors, spec.Configuration, "spec.configuration");
            CheckLabel(errors, spec.Configuration, "spec.configuration");
            if (spec.PointInTime is null)
            {
                errors.Add("spec.configuration is only read by a point-in-time restore: set spec.pointInTime too, or leave spec.configuration out");
            }
        }
        return errors;
    }

    public static List<string> Validate(MaintenanceSession maintenance)
    {
        var errors = new List<string>();
        var spec = maintenance.Spec;
        CheckName(errors, maintenance.Name, "metadata.name");
        CheckName(errors, spec.Repository.Name, "spec.repository.name");
        CheckLabel(errors, spec.Repository.Name, "spec.repository.name");
        if (spec.Task is null || !MaintenanceTask.All.Contains(spec.Task))
        {
            errors.Add($"spec.task '{spec.Task}' is not a maintenance task: use {string.Join(", ", MaintenanceTask.All)}");
        }
        if (MaintenanceTask.NeedsConfiguration(spec.Task))
        {
            CheckName(errors, spec.Configuration, "spec.configuration");
            CheckLabel(errors, spec.Configuration, "spec.configuration");
        }
        if (spec.ReadDataSubset is { } subset && !Serverless.Backup.Core.Environment.MaintenanceSettings.IsSubset(subset))
        {
            errors.Add($"spec.readDataSubset '{subset}' is not valid: use a percentage such as 10% or a part such as 1/5");
        }
        CheckDuration(errors, spec.TimeOut, "spec.timeOut");
        return errors;
    }

    /// <summary>The most checks a verification runs: each is a query on the scratch database, and all travel in one variable.</summary>
    public const int MaxVerifyChecks = 100;

    /// <summary>
    /// spec.verification: its schedule (defaulted), scratch target, prefix, checks and deadline. Apart from
    /// <see cref="Validate(BackupConfiguration)"/>: a wrong verification stops verification only, never backups
    /// (the VerificationValid condition says why).
    /// </summary>
    public static List<string> ValidateVerification(BackupConfigurationSpec spec)
    {
        var errors = new List<string>();
        if (spec.Verification is not { } verification)
        {
            return errors;
        }
        const string field = "spec.verification";
        // The time zone is the configuration's, whose error spec.schedule's check reports already.
        if (!BackupSchedule.TryParse(verification.Schedule ?? VerificationSpec.DefaultSchedule, spec.TimeZone, out _, out var scheduleError) && scheduleError!.StartsWith("spec.schedule", StringComparison.Ordinal))
        {
            errors.Add(field + scheduleError["spec".Length..]);
        }
        if (verification.Target is { } target)
        {
            CheckName(errors, target.Name, $"{field}.target.name");
            if (target.Kind != "AppBinding")
            {
                errors.Add($"{field}.target.kind '{target.Kind}' is not supported: use AppBinding");
            }
        }
        if (verification.DatabasePrefix is { } prefix && (prefix.Length is 0 or > 20 || DatabaseNames.Problem(prefix + "x") is not null))
        {
            errors.Add($"{field}.databasePrefix '{GoDuration.Shorten(prefix)}' is not valid: use 1 to 20 characters a database name may start with, such as {VerificationSpec.DefaultPrefix}");
        }
        var checks = verification.Checks ?? [];
        if (checks.Count > MaxVerifyChecks)
        {
            errors.Add($"{field}.checks has {checks.Count} checks: use at most {MaxVerifyChecks}");
        }
        foreach (var (check, index) in checks.Take(MaxVerifyChecks).Select((c, i) => (c, i)))
        {
            if (check is null)
            {
                errors.Add($"{field}.checks[{index}] is empty: give it a name, database, sql and min, max or equals");
            }
            else if (check.ToRunner().Problem() is { } problem)
            {
                errors.Add($"{field}.checks[{index}]: {problem}");
            }
        }
        var names = checks.Where(c => c?.Name is not null).GroupBy(c => c.Name).Where(g => g.Count() > 1).Select(g => g.Key);
        foreach (var name in names)
        {
            errors.Add($"{field}.checks has two checks named '{GoDuration.Shorten(name!)}': give each its own name");
        }
        CheckDuration(errors, verification.TimeOut, $"{field}.timeOut");
        return errors;
    }

    /// <summary>
    /// spec.pointInTime: its archive schedule (defaulted) and deadline. Apart from <see cref="Validate(BackupConfiguration)"/>:
    /// a wrong pointInTime stops archiving and point-in-time restores only (the PointInTimeValid condition says why).
    /// </summary>
    public static List<string> ValidatePointInTime(BackupConfigurationSpec spec)
    {
        var errors = new List<string>();
        if (spec.PointInTime is not { } pointInTime)
        {
            return errors;
        }
        const string field = "spec.pointInTime";
        if (!BackupSchedule.TryParse(pointInTime.Schedule ?? PointInTimeSpec.DefaultSchedule, spec.TimeZone, out _, out var scheduleError) && scheduleError!.StartsWith("spec.schedule", StringComparison.Ordinal))
        {
            errors.Add(field + scheduleError["spec".Length..]);
        }
        CheckDuration(errors, pointInTime.TimeOut, $"{field}.timeOut");
        return errors;
    }

    /// <summary>The check schedule of a Repository (spec.check), defaulted.</summary>
    public static List<string> ValidateCheck(Repository repository)
    {
        var errors = new List<string>();
        var check = repository.Spec.Check ?? new CheckSpec();
        if (!BackupSchedule.TryParse(check.Schedule ?? CheckSpec.DefaultSchedule, check.TimeZone, out _, out var scheduleError))
        {
            errors.Add(scheduleError!.Replace("spec.schedule", "spec.check.schedule", StringComparison.Ordinal).Replace("spec.timeZone", "spec.check.timeZone", StringComparison.Ordinal));
        }
        if (check.ReadDataSubset is { } subset && !Serverless.Backup.Core.Environment.MaintenanceSettings.IsSubset(subset))
        {
            errors.Add($"spec.check.readDataSubset '{subset}' is not valid: use a percentage such as 10% or a part such as 1/5");
        }
        return errors;
    }

    /// <summary>The most finished sessions a configuration may keep: each is a resource the API server stores.</summary>
    public const int MaxHistoryLimit = 1000;

    /// <summary>
    /// How late a missed slot may still run, at most: four years, the longest gap a cron schedule can have
    /// (29 February). Anything longer is a typo; the slot search itself stays bounded whatever the window.
    /// </summary>
    public const int MaxStartingDeadlineSeconds = 4 * 366 * 24 * 3600;

    private static void CheckDuration(List<string> errors, string? text, string field)
    {
        if (text is not null && GoDuration.Check(text, field) is { } error)
        {
            errors.Add(error);
        }
    }

    /// <summary>
    /// Configuration and repository names become label values of sessions, Jobs and Secrets, which Kubernetes
    /// limits to 63 characters: a longer name would fail every call that writes the label.
    /// </summary>
    private static void CheckLabel(List<string> errors, string? name, string field)
    {
        if (name is { Length: > 63 })
        {
            errors.Add($"{field} is {name.Length} characters long: it is used as a label value, so use at most 63");
        }
    }

    private static void CheckName(List<string> errors, string? name, string field)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            errors.Add($"{field} is empty: set it to the name of the object");
        }
        else if (!Names.IsDnsSubdomain(name))
        {
            errors.Add($"{field} '{GoDuration.Shorten(name)}' is not a valid Kubernetes name: use lower-case letters, digits, '-' and '.' (at most 253)");
        }
    }
}
