namespace Serverless.Backup.Core.Metrics;

/// <summary>
/// The Prometheus metric names of the system, in one place: the runner pushes the per-run ones to a Pushgateway,
/// the Functions app serves the control-plane ones on /api/metrics, and the alert rules and dashboard in
/// infra/k8s/monitoring query them (a test checks the rules use only these names). The control-plane gauges read
/// from resource status are defined once, with these names, in Control's StatusMetrics: Prometheus (/api/metrics)
/// and Azure Monitor (AppMetrics) read the same definition.
/// </summary>
public static class MetricNames
{
    public const string Prefix = "mysql_backup_";

    // Pushed by the runner (job "mysql-backup", grouped by namespace and configuration).
    /// <summary>1 when the last run of a configuration succeeded, 0 when it failed (pushed on failure too).</summary>
    public const string SessionSuccess = Prefix + "session_success";
    public const string SessionDurationSeconds = Prefix + "session_duration_seconds";
    /// <summary>Per database: 1/0.</summary>
    public const string DatabaseSuccess = Prefix + "database_success";
    public const string DatabaseDurationSeconds = Prefix + "database_duration_seconds";
    public const string DumpBytes = Prefix + "dump_bytes";
    public const string AddedBytes = Prefix + "repository_added_bytes";
    public const string RestoredBytes = Prefix + "restored_bytes";
    /// <summary>Bytes of binary log an archive run stored (before deduplication).</summary>
    public const string BinlogArchivedBytes = Prefix + "binlog_archived_bytes";
    /// <summary>Binary-log files an archive run stored.</summary>
    public const string BinlogArchivedFiles = Prefix + "binlog_archived_files";
    public const string LastSuccessTimestampSeconds = Prefix + "last_success_timestamp_seconds";
    public const string RepositorySnapshots = Prefix + "repository_snapshots";
    public const string RepositorySizeBytes = Prefix + "repository_size_bytes";
    /// <summary>1 when the last check passed, 0 when it found damage.</summary>
    public const string RepositoryIntegrity = Prefix + "repository_integrity";
    /// <summary>Per database: snapshots the last retention run kept (a dry run: would keep).</summary>
    public const string RetentionKeptSnapshots = Prefix + "retention_kept_snapshots";
    /// <summary>Per database: snapshots the last retention run removed (a dry run: would remove).</summary>
    public const string RetentionRemovedSnapshots = Prefix + "retention_removed_snapshots";

    // Served by the Functions app from resource status.
    public const string Sessions = Prefix + "sessions";
    public const string ConfigurationLastSuccessTimestampSeconds = Prefix + "configuration_last_success_timestamp_seconds";
    public const string ConfigurationScheduleIntervalSeconds = Prefix + "configuration_schedule_interval_seconds";
    public const string ConfigurationLastSessionFailed = Prefix + "configuration_last_session_failed";
    /// <summary>Seconds the configuration's newest successful backup took (its BackupSession's status).</summary>
    public const string ConfigurationLastBackupDurationSeconds = Prefix + "configuration_last_backup_duration_seconds";
    /// <summary>Bytes the configuration's newest successful backup dumped, over all its databases (its BackupSession's status).</summary>
    public const string ConfigurationLastBackupBytes = Prefix + "configuration_last_backup_bytes";
    /// <summary>Unix time of the configuration's last finished verification (status.lastVerification.time), whatever its result.</summary>
    public const string ConfigurationLastVerificationTimestampSeconds = Prefix + "configuration_last_verification_timestamp_seconds";
    /// <summary>1 when the configuration's last verification proved the backup restores to the same data, 0 when it failed.</summary>
    public const string ConfigurationLastVerificationSucceeded = Prefix + "configuration_last_verification_succeeded";
    /// <summary>Seconds between two slots of the configuration's verification schedule (not set while paused, invalid or absent).</summary>
    public const string ConfigurationVerificationIntervalSeconds = Prefix + "configuration_verification_interval_seconds";
    /// <summary>Unix time of the earliest second a configuration can be restored to from its archived binary logs (status.pointInTime.earliest).</summary>
    public const string ConfigurationPointInTimeEarliestTimestampSeconds = Prefix + "configuration_pitr_earliest_recoverable_timestamp_seconds";
    /// <summary>Unix time of the latest second a configuration can be restored to (status.pointInTime.latest): the last event of the last archived binary log.</summary>
    public const string ConfigurationPointInTimeLatestTimestampSeconds = Prefix + "configuration_pitr_latest_recoverable_timestamp_seconds";
    /// <summary>Seconds between two slots of the configuration's binary-log archive schedule (not set while point-in-time recovery is off, paused or invalid).</summary>
    public const string ConfigurationPointInTimeArchiveIntervalSeconds = Prefix + "configuration_pitr_archive_interval_seconds";
    /// <summary>Gaps in the configuration's archived binary logs (logs purged from the server before they were archived, or missing): each splits the recoverable window.</summary>
    public const string ConfigurationPointInTimeGaps = Prefix + "configuration_pitr_gaps";
    public const string WebhookEventsTotal = Prefix + "webhook_events_total";
    public const string TickDurationSeconds = Prefix + "schedule_tick_duration_seconds";
    public const string ReconcileDurationSeconds = Prefix + "reconcile_duration_seconds";
    public const string ApiServerErrorsTotal = Prefix + "api_server_errors_total";
    /// <summary>1 for each resource that cannot be read or is invalid (by namespace, kind and name): it is skipped until fixed.</summary>
    public const string InvalidResources = Prefix + "invalid_resources";

    /// <summary>Label names shared by every metric that has them.</summary>
    public static class Labels
    {
        public const string Namespace = "namespace";
        public const string Configuration = "configuration";
        public const string Repository = "repository";
        public const string Database = "database";
        public const string Phase = "phase";
        public const string Kind = "kind";
        public const string Reason = "reason";
        /// <summary>accepted or rejected (webhook events).</summary>
        public const string Result = "result";
        /// <summary>The timer function (tick durations).</summary>
        public const string Function = "function";
        /// <summary>A resource's name (invalid resources).</summary>
        public const string Name = "name";
        /// <summary>The HTTP status code of a failed API server call (0: no answer).</summary>
        public const string Code = "code";
    }
}
