namespace Serverless.Backup.Functions.Hosting;

/// <summary>How a function is triggered.</summary>
public abstract record FunctionTrigger;

/// <summary>A timer, with the Functions host's 6-field NCRONTAB schedule (second minute hour day month day-of-week).</summary>
public sealed record TimerTrigger(string Schedule) : FunctionTrigger;

/// <summary>An HTTP route under the host's "api" prefix; authLevel "function" means a function key is required.</summary>
public sealed record HttpTrigger(string Method, string Route, string AuthLevel = "function") : FunctionTrigger;

public sealed record FunctionDefinition(string Name, FunctionTrigger Trigger);

/// <summary>
/// The app's functions, listed once: the handler maps its endpoints from this list and the publish step
/// generates each function.json from it, so code and bindings cannot drift.
/// </summary>
public static class FunctionCatalog
{
    public const string RoutePrefix = "api";

    public static readonly FunctionDefinition ScheduleTick = new("ScheduleTick", new TimerTrigger("0 */1 * * * *"));
    public static readonly FunctionDefinition Reconcile = new("Reconcile", new TimerTrigger("30 */1 * * * *"));
    // Check schedules are per Repository (weekly by default); a tick every 5 minutes finds the due ones.
    public static readonly FunctionDefinition MaintenanceTick = new("MaintenanceTick", new TimerTrigger("15 */5 * * * *"));
    public static readonly FunctionDefinition TriggerBackup = new("TriggerBackup", new HttpTrigger("post", "backups/{namespace}/{name}"));
    public static readonly FunctionDefinition CreateRestore = new("CreateRestore", new HttpTrigger("post", "restores/{namespace}"));
    public static readonly FunctionDefinition GetSession = new("GetSession", new HttpTrigger("get", "sessions/{namespace}/{kind}/{name}"));
    public static readonly FunctionDefinition ListSessions = new("ListSessions", new HttpTrigger("get", "sessions"));
    public static readonly FunctionDefinition ListSnapshots = new("ListSnapshots", new HttpTrigger("get", "repositories/{namespace}/{name}/snapshots"));
    public static readonly FunctionDefinition StartMaintenance = new("StartMaintenance", new HttpTrigger("post", "repositories/{namespace}/{name}/maintenance"));
    public static readonly FunctionDefinition Metrics = new("Metrics", new HttpTrigger("get", "metrics"));
    // The runner's webhook: no function key (a Job has none); every request is HMAC-signed per session instead.
    public static readonly FunctionDefinition SessionEvents = new("SessionEvents", new HttpTrigger("post", "events", "anonymous"));

    public static IReadOnlyList<FunctionDefinition> All { get; } =
        [ScheduleTick, Reconcile, MaintenanceTick, TriggerBackup, CreateRestore, GetSession, ListSessions, ListSnapshots, StartMaintenance, Metrics, SessionEvents];
}
