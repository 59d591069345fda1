using System.Collections;
using System.Diagnostics;
using System.Globalization;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Schedules;
using Labels = Serverless.Backup.Core.Metrics.MetricNames.Labels;

namespace Serverless.Backup.Control.Observability;

/// <summary>
/// The sessions as structured telemetry: one event when a session is created, one when its runner Job starts and
/// one when it ends (succeeded, failed or skipped), with stable names and dimensions (<see cref="Events"/>,
/// <see cref="Dimensions"/>). They are log records of the category <see cref="Category"/> whose state names the
/// event in <see cref="CustomEventAttribute"/>: the Azure Monitor exporter sends them to Application Insights as
/// custom events (table AppEvents), and no other log provider receives them (<see cref="TelemetryServices"/>).
/// A session's events share one operation: the trace context current when it was created is stored in the
/// annotation <see cref="OperationAnnotation"/>, and every later event of the session (from Reconcile, from the
/// webhook) is emitted under a child of it, so its operation id is that of the timer or request that created it.
/// Only names, phases, reasons, figures and the status message (written for the user, never with a secret).
/// </summary>
public sealed class SessionTelemetry(ILogger? logger = null)
{
    /// <summary>The log category of the events; only the OpenTelemetry log provider receives it.</summary>
    public const string Category = "Serverless.Backup.Telemetry";

    /// <summary>The attribute by which the Azure Monitor exporter sends a log record as a custom event of that name.</summary>
    public const string CustomEventAttribute = "microsoft.custom_event.name";

    /// <summary>The annotation that carries the W3C traceparent of the operation that created a session.</summary>
    public const string OperationAnnotation = Api.Group + "/traceparent";

    /// <summary>The name of the Activity under which the events of a session are emitted.</summary>
    public const string ActivityName = "MySqlBackup.Session";

    /// <summary>The event names (AppEvents.Name).</summary>
    public static class Events
    {
        /// <summary>A session was created (phase Pending, or Skipped at once with its reason).</summary>
        public const string Created = "MySqlBackup.SessionCreated";
        /// <summary>A session's runner Job was started (phase Running).</summary>
        public const string Started = "MySqlBackup.SessionStarted";
        /// <summary>A session ended: Succeeded, Failed or Skipped, with its reason, duration and figures.</summary>
        public const string Ended = "MySqlBackup.SessionEnded";

        public static readonly IReadOnlyList<string> All = [Created, Started, Ended];
    }

    /// <summary>The dimension names (AppEvents.Properties); each event carries those that are known.</summary>
    public static class Dimensions
    {
        public const string Kind = Labels.Kind;
        public const string Namespace = Labels.Namespace;
        public const string Configuration = Labels.Configuration;
        public const string Repository = Labels.Repository;
        public const string Session = "session";
        public const string Phase = Labels.Phase;
        public const string Reason = Labels.Reason;
        /// <summary>The session's status message: what happened and, for a failure, the fix it names.</summary>
        public const string Message = "message";
        /// <summary>A MaintenanceSession's task (check, forget, unlock, verify, …).</summary>
        public const string Task = "task";
        /// <summary>scheduled (a schedule slot) or manual (an HTTP call, a resource written by hand).</summary>
        public const string Trigger = "trigger";
        public const string Job = "job";
        public const string DurationSeconds = "durationSeconds";
        /// <summary>Bytes dumped (a backup) or restored (a restore), over all databases.</summary>
        public const string Bytes = "bytes";
        /// <summary>Bytes the repository grew by (a backup).</summary>
        public const string AddedBytes = "addedBytes";
        public const string Databases = "databases";
        /// <summary>Comma-separated snapshot ids written (a backup) or read (a restore).</summary>
        public const string SnapshotIds = "snapshotIds";
        /// <summary>A problem that did not fail the session (retention that failed after a good backup).</summary>
        public const string Warning = "warning";
        /// <summary>
        /// The operation id of the invocation that emitted the event when it is not the session's own (the Reconcile
        /// run that started the Job, the webhook request that ended it): its requests, calls and log lines.
        /// </summary>
        public const string InvocationOperationId = "invocationOperationId";

        public static readonly IReadOnlyList<string> All =
            [Kind, Namespace, Configuration, Repository, Session, Phase, Reason, Message, Task, Trigger, Job, DurationSeconds, Bytes, AddedBytes, Databases, SnapshotIds, Warning, InvocationOperationId];
    }

    /// <summary>Longest message carried (status messages are short; a GRANT list can be long).</summary>
    public const int MaxMessageLength = 2048;

    private readonly ILogger _log = logger ?? NullLogger.Instance;

    /// <summary>Stores the current operation (or a new one when there is none) in the new session's annotations.</summary>
    public static void StampOperation(V1ObjectMeta metadata)
    {
        var current = Activity.Current;
        var traceparent = current is not null && current.IdFormat == ActivityIdFormat.W3C
            ? $"00-{current.TraceId.ToHexString()}-{current.SpanId.ToHexString()}-{((current.ActivityTraceFlags & ActivityTraceFlags.Recorded) != 0 ? "01" : "00")}"
            : $"00-{ActivityTraceId.CreateRandom().ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01";
        metadata.Annotations ??= new Dictionary<string, string>();
        metadata.Annotations.TryAdd(OperationAnnotation, traceparent);
    }

    /// <summary>The operation that created the session, or null when it carries none (created before this was recorded).</summary>
    public static ActivityContext? OperationOf(IKubernetesObject<V1ObjectMeta> session) =>
        session.Metadata.Annotations is { } annotations && annotations.TryGetValue(OperationAnnotation, out var traceparent)
            && ActivityContext.TryParse(traceparent, null, out var context)
            ? context
            : null;

    /// <summary>The session was created (Pending, or Skipped with <paramref name="reason"/>).</summary>
    public void Created(IKubernetesObject<V1ObjectMeta> session, SessionStatus? status)
    {
        var fields = Describe(session, status);
        Emit(session, Events.Created, fields);
        if (SessionPhase.IsFinished(status?.Phase))
        {
            Ended(session, status);
        }
    }

    /// <summary>The session's runner Job was started.</summary>
    public void Started(IKubernetesObject<V1ObjectMeta> session, string job)
    {
        var fields = Describe(session, SessionAccess.StatusOf(session) is { } st ? st with { Phase = SessionPhase.Running, Reason = null, Message = null } : new SessionStatus { Phase = SessionPhase.Running });
        fields.Add(new(Dimensions.Job, job));
        Emit(session, Events.Started, fields);
    }

    /// <summary>The session ended as its <paramref name="status"/> says (Succeeded, Failed or Skipped).</summary>
    public void Ended(IKubernetesObject<V1ObjectMeta> session, SessionStatus? status)
    {
        var fields = Describe(session, status);
        if (Duration(status) is { } duration)
        {
            fields.Add(new(Dimensions.DurationSeconds, Math.Round(duration.TotalSeconds, 3)));
        }
        if (status?.Stats is { Count: > 0 } stats)
        {
            fields.Add(new(Dimensions.Bytes, stats.Sum(s => s.Bytes)));
            if (session is BackupSession)
            {
                fields.Add(new(Dimensions.AddedBytes, stats.Sum(s => s.Uploaded)));
            }
            fields.Add(new(Dimensions.Databases, string.Join(",", stats.Select(s => s.Database))));
            fields.Add(new(Dimensions.SnapshotIds, string.Join(",", stats.Select(s => s.SnapshotId).Where(s => !string.IsNullOrEmpty(s)))));
        }
        if (status?.Warning is { Length: > 0 } warning)
        {
            fields.Add(new(Dimensions.Warning, Shorten(warning)));
        }
        Emit(session, Events.Ended, fields);
    }

    private static TimeSpan? Duration(SessionStatus? status) =>
        GoDuration.TryParse(status?.SessionDuration, out var parsed) ? parsed
        : status is { StartTime: { } start, CompletionTime: { } end } && end >= start ? end - start
        : null;

    private static List<KeyValuePair<string, object?>> Describe(IKubernetesObject<V1ObjectMeta> session, SessionStatus? status)
    {
        var fields = new List<KeyValuePair<string, object?>>
        {
            new(Dimensions.Kind, SessionAccess.KindOf(session)),
            new(Dimensions.Namespace, SessionAccess.NamespaceOf(session)),
            new(Dimensions.Session, session.Metadata.Name),
        };
        void Add(string key, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                fields.Add(new(key, value));
            }
        }
        Add(Dimensions.Configuration, SessionAccess.ConfigurationOf(session));
        Add(Dimensions.Repository, SessionAccess.RepositoryOf(session));
        Add(Dimensions.Phase, status?.Phase ?? SessionPhase.Pending);
        Add(Dimensions.Reason, status?.Reason);
        Add(Dimensions.Message, status?.Message is { } message ? Shorten(message) : null);
        if (session is MaintenanceSession maintenance)
        {
            Add(Dimensions.Task, maintenance.Spec.Task);
        }
        var scheduled = session switch
        {
            BackupSession b => b.Spec.ScheduledFor is not null,
            MaintenanceSession m => m.Spec.ScheduledFor is not null,
            _ => false,
        };
        Add(Dimensions.Trigger, scheduled ? "scheduled" : "manual");
        return fields;
    }

    private static string Shorten(string text) => text.Length <= MaxMessageLength ? text : text[..(MaxMessageLength - 3)] + "...";

    /// <summary>Logs the event under the session's operation, then restores the caller's Activity.</summary>
    private void Emit(IKubernetesObject<V1ObjectMeta> session, string name, List<KeyValuePair<string, object?>> fields)
    {
        if (!_log.IsEnabled(LogLevel.Information))
        {
            return;
        }
        var previous = Activity.Current;
        Activity? activity = null;
        if (OperationOf(session) is { } operation && previous?.TraceId != operation.TraceId)
        {
            // A child of the creating operation, in this process only: the event's operation id is the session's,
            // and the invocation's own is a dimension.
            if (previous is not null)
            {
                fields.Add(new(Dimensions.InvocationOperationId, previous.TraceId.ToHexString()));
            }
            activity = new Activity(ActivityName);
            activity.SetParentId(operation.TraceId, operation.SpanId, operation.TraceFlags);
            activity.Start();
        }
        try
        {
            _log.Log(LogLevel.Information, new EventId(EventIds[name], name), new EventState(name, fields), null, static (state, _) => state.ToString());
        }
        finally
        {
            activity?.Stop();
            Activity.Current = previous;
        }
    }

    private static readonly Dictionary<string, int> EventIds = new() { [Events.Created] = 50, [Events.Started] = 51, [Events.Ended] = 52 };

    /// <summary>The record's attributes: the event's name first, then its dimensions.</summary>
    private sealed class EventState(string name, List<KeyValuePair<string, object?>> fields) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly List<KeyValuePair<string, object?>> _all = [new(CustomEventAttribute, name), .. fields];

        public KeyValuePair<string, object?> this[int index] => _all[index];

        public int Count => _all.Count;

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _all.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        private string? Value(string key) => _all.FirstOrDefault(f => f.Key == key).Value is { } v ? Convert.ToString(v, CultureInfo.InvariantCulture) : null;

        public override string ToString() =>
            $"{name}: {Value(Dimensions.Kind)} {Value(Dimensions.Namespace)}/{Value(Dimensions.Session)} {Value(Dimensions.Phase)}{(Value(Dimensions.Reason) is { } reason ? $" ({reason})" : "")}";
    }
}
