namespace Serverless.Backup.Control.Endpoints;

/// <summary>The function names, as constants so that the Functions worker's attributes use them.</summary>
public static class FunctionNames
{
    public const string ScheduleTick = "ScheduleTick";
    public const string Reconcile = "Reconcile";
    public const string MaintenanceTick = "MaintenanceTick";
    public const string TriggerBackup = "TriggerBackup";
    public const string CreateRestore = "CreateRestore";
    public const string GetSession = "GetSession";
    public const string ListSessions = "ListSessions";
    public const string ListSnapshots = "ListSnapshots";
    public const string GetPointInTime = "GetPointInTime";
    public const string StartMaintenance = "StartMaintenance";
    public const string Metrics = "Metrics";
    public const string SessionEvents = "SessionEvents";
    public const string OpenApiDocument = "OpenApiDocument";
}

/// <summary>The HTTP routes, under <see cref="Prefix"/> (the Functions host's default route prefix).</summary>
public static class Routes
{
    public const string Prefix = "api";
    public const string TriggerBackup = "backups/{namespace}/{name}";
    public const string CreateRestore = "restores/{namespace}";
    public const string GetSession = "sessions/{namespace}/{kind}/{name}";
    public const string ListSessions = "sessions";
    public const string ListSnapshots = "repositories/{namespace}/{name}/snapshots";
    public const string GetPointInTime = "configurations/{namespace}/{name}/pointintime";
    public const string StartMaintenance = "repositories/{namespace}/{name}/maintenance";
    public const string Metrics = "metrics";
    public const string SessionEvents = "events";
    public const string OpenApiDocument = "openapi.json";
}

/// <summary>
/// The timers' schedules: six-field NCRONTAB expressions (second minute hour day month day-of-week) read from app
/// settings, so an operator can slow a tick down without a rebuild. The Functions worker names them as
/// <c>%SETTING%</c> (the host resolves them, and an unset one fails the function's indexing), the standalone server
/// reads them with these defaults.
/// </summary>
public static class TimerSchedules
{
    public const string ScheduleTickSetting = "BACKUP_SCHEDULE_TICK";
    public const string ReconcileSetting = "BACKUP_RECONCILE_SCHEDULE";
    public const string MaintenanceTickSetting = "BACKUP_MAINTENANCE_SCHEDULE";

    // Every minute on the minute: a session starts within a minute of its slot.
    public const string ScheduleTickDefault = "0 */1 * * * *";
    // Every minute, half a minute after the schedule tick, so the two rarely touch the same session together.
    public const string ReconcileDefault = "30 */1 * * * *";
    // Check schedules are per Repository (weekly by default); a tick every 5 minutes finds the due ones.
    public const string MaintenanceTickDefault = "15 */5 * * * *";

    public const string ScheduleTick = "%" + ScheduleTickSetting + "%";
    public const string Reconcile = "%" + ReconcileSetting + "%";
    public const string MaintenanceTick = "%" + MaintenanceTickSetting + "%";
}

/// <summary>How a function is triggered.</summary>
public abstract record FunctionTrigger;

/// <summary>A timer whose NCRONTAB schedule is the app setting <paramref name="Setting"/> (<paramref name="Default"/> when unset).</summary>
public sealed record TimerTrigger(string Setting, string Default) : FunctionTrigger
{
    /// <summary>The schedule as the Functions metadata names it.</summary>
    public string Expression => "%" + Setting + "%";
}

/// <summary>An HTTP route under <see cref="Routes.Prefix"/>; "function" means a key is required, "anonymous" none.</summary>
public sealed record HttpTrigger(string Method, string Route, string AuthLevel = "function") : FunctionTrigger;

public sealed record FunctionDefinition(string Name, FunctionTrigger Trigger);

/// <summary>
/// The app's functions, listed once: the standalone server maps its routes and timers from this list, and a test
/// checks the Functions worker's generated metadata against it.
/// </summary>
public static class FunctionCatalog
{
    public static readonly FunctionDefinition ScheduleTick = new(FunctionNames.ScheduleTick, new TimerTrigger(TimerSchedules.ScheduleTickSetting, TimerSchedules.ScheduleTickDefault));
    public static readonly FunctionDefinition Reconcile = new(FunctionNames.Reconcile, new TimerTrigger(TimerSchedules.ReconcileSetting, TimerSchedules.ReconcileDefault));
    public static readonly FunctionDefinition MaintenanceTick = new(FunctionNames.MaintenanceTick, new TimerTrigger(TimerSchedules.MaintenanceTickSetting, TimerSchedules.MaintenanceTickDefault));
    public static readonly FunctionDefinition TriggerBackup = new(FunctionNames.TriggerBackup, new HttpTrigger("post", Routes.TriggerBackup));
    public static readonly FunctionDefinition CreateRestore = new(FunctionNames.CreateRestore, new HttpTrigger("post", Routes.CreateRestore));
    public static readonly FunctionDefinition GetSession = new(FunctionNames.GetSession, new HttpTrigger("get", Routes.GetSession));
    public static readonly FunctionDefinition ListSessions = new(FunctionNames.ListSessions, new HttpTrigger("get", Routes.ListSessions));
    public static readonly FunctionDefinition ListSnapshots = new(FunctionNames.ListSnapshots, new HttpTrigger("get", Routes.ListSnapshots));
    public static readonly FunctionDefinition GetPointInTime = new(FunctionNames.GetPointInTime, new HttpTrigger("get", Routes.GetPointInTime));
    public static readonly FunctionDefinition StartMaintenance = new(FunctionNames.StartMaintenance, new HttpTrigger("post", Routes.StartMaintenance));
    public static readonly FunctionDefinition Metrics = new(FunctionNames.Metrics, new HttpTrigger("get", Routes.Metrics));
    // The runner's webhook: no function key (a Job has none); every request is HMAC-signed per session instead.
    public static readonly FunctionDefinition SessionEvents = new(FunctionNames.SessionEvents, new HttpTrigger("post", Routes.SessionEvents, "anonymous"));
    // The API's OpenAPI document: no key, so that clients and tools read it as they find the app; it holds no secret.
    public static readonly FunctionDefinition OpenApiDocument = new(FunctionNames.OpenApiDocument, new HttpTrigger("get", Routes.OpenApiDocument, "anonymous"));

    public static IReadOnlyList<FunctionDefinition> All { get; } =
        [ScheduleTick, Reconcile, MaintenanceTick, TriggerBackup, CreateRestore, GetSession, ListSessions, ListSnapshots, GetPointInTime, StartMaintenance, Metrics, SessionEvents,
            OpenApiDocument];

    public static FunctionDefinition? Find(string name) => All.FirstOrDefault(f => f.Name == name);
}
