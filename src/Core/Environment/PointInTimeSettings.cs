namespace Serverless.Backup.Core.Environment;

/// <summary>
/// Point-in-time recovery (spec.pointInTime of the configuration). A backup with <see cref="RecordPosition"/>
/// records where each dump stands in the server's binary log (file, position and GTID position) in its snapshot's
/// tags; the archive verb stores the closed binary logs; a restore with RESTORE_POINT_IN_TIME replays them.
/// </summary>
public sealed record PointInTimeSettings
{
    /// <summary>
    /// Backups dump with the binary-log position (mariadb-dump --master-data=2 --gtid, mysqldump --source-data=2 on
    /// MySQL 8.0.26 and later) and tag each snapshot with it. Needs log_bin on the server and the RELOAD and
    /// BINLOG MONITOR (MariaDB) / REPLICATION CLIENT (MySQL) privileges.
    /// </summary>
    [Env("BINLOG_RECORD_POSITION", Hint = "true to record each dump's binary-log position for point-in-time recovery (set when spec.pointInTime.enabled), false otherwise")]
    public bool RecordPosition { get; init; }

    /// <summary>The most binary-log files one archive run stores (the rest wait for the next run); 0 for no limit.</summary>
    [Env("BINLOG_MAX_FILES_PER_RUN", Hint = "the most binary-log files one archive run stores, a whole number (0 for no limit)")]
    public int MaxFilesPerRun { get; init; }

    internal void Validate(List<string> errors)
    {
        if (MaxFilesPerRun < 0)
        {
            errors.Add($"{RunnerSettings.NameOf<PointInTimeSettings>(nameof(MaxFilesPerRun))}={MaxFilesPerRun} is not valid: set it to 0 (no limit) or a positive whole number");
        }
    }
}
