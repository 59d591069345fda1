using System.Text.Json.Serialization;

namespace Serverless.Backup.Core.Events;

/// <summary>
/// What the runner reports: one JSON object a line on stdout, and the same records POSTed to the webhook.
/// The "type" property tells them apart.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(StartedEvent), "started")]
[JsonDerivedType(typeof(ProgressEvent), "progress")]
[JsonDerivedType(typeof(SucceededEvent), "succeeded")]
[JsonDerivedType(typeof(FailedEvent), "failed")]
public abstract record RunnerEvent
{
    /// <summary>The runner's verb: backup, restore, check, forget or unlock.</summary>
    public required string Verb { get; init; }
    public required string Namespace { get; init; }
    public required string Session { get; init; }
    public required DateTimeOffset Time { get; init; }
    /// <summary>
    /// 1, 2, 3 … in the order the run reports its events (0 from a runner that does not number them). The webhook
    /// accepts an event only after the last accepted one, so a replay, even within the same second, changes nothing.
    /// </summary>
    public long Sequence { get; init; }
}

/// <summary>The run began; <see cref="Databases"/> are the databases it will dump or restore.</summary>
public sealed record StartedEvent : RunnerEvent
{
    public required IReadOnlyList<string> Databases { get; init; }
}

/// <summary>At most every few seconds while data moves.</summary>
public sealed record ProgressEvent : RunnerEvent
{
    public required string Database { get; init; }
    /// <summary>Bytes of this database's dump streamed so far.</summary>
    public required long BytesDone { get; init; }
    /// <summary>Bytes of every database of the run streamed so far.</summary>
    public required long TotalBytesDone { get; init; }
    public required double ElapsedSeconds { get; init; }
}

/// <summary>Every database was dumped (or restored) completely.</summary>
public sealed record SucceededEvent : RunnerEvent
{
    /// <summary>Per database (backup, restore); empty for maintenance verbs.</summary>
    public required IReadOnlyList<DatabaseResult> Databases { get; init; }
    public required double DurationSeconds { get; init; }
    /// <summary>What the retention policy kept and removed (backup with a policy, forget), else null.</summary>
    public RetentionResult? Retention { get; init; }
    /// <summary>The repository as the run left it (backup, check, forget, unlock), else null.</summary>
    public RepositoryReport? Repository { get; init; }
    /// <summary>A problem that did not fail the run (retention that failed after a good backup, for example).</summary>
    public string? Warning { get; init; }
    /// <summary>What a verify run proved, else null.</summary>
    public VerificationResult? Verification { get; init; }
    /// <summary>
    /// The configuration's point-in-time recovery as the run left it (archive; backup and forget with
    /// BINLOG_RECORD_POSITION; a point-in-time restore, with RestoredTo), else null.
    /// </summary>
    public PointInTimeReport? PointInTime { get; init; }
}

/// <summary>The run failed; no snapshot of a partial dump survives.</summary>
public sealed record FailedEvent : RunnerEvent
{
    public required FailureReason Reason { get; init; }
    public required string Message { get; init; }
    /// <summary>The database being worked on when it failed, if any.</summary>
    public string? Database { get; init; }
    /// <summary>The repository as far as the run could tell (a check that found damage: Integrity false), else null.</summary>
    public RepositoryReport? Repository { get; init; }
    /// <summary>What a verify run found before it failed (the first differing table, the failed check), else null.</summary>
    public VerificationResult? Verification { get; init; }
    /// <summary>What an archive run had found and stored before it failed, or the window a refused point-in-time restore could use, else null.</summary>
    public PointInTimeReport? PointInTime { get; init; }
}

/// <summary>One database of a run.</summary>
public sealed record DatabaseResult
{
    /// <summary>The database as it was dumped (the source name).</summary>
    public required string Database { get; init; }
    public required string SnapshotId { get; init; }
    /// <summary>Bytes of the SQL stream (dumped or restored).</summary>
    public required long Bytes { get; init; }
    /// <summary>SHA-256 of the SQL stream, lower-case hex.</summary>
    public required string Sha256 { get; init; }
    /// <summary>Bytes restic added to the repository (backup only).</summary>
    public long DataAdded { get; init; }
    public required double DurationSeconds { get; init; }
    /// <summary>The database restored into, where a restore renamed it.</summary>
    public string? RestoredInto { get; init; }
}
