using Serverless.Backup.Functions.Api;

namespace Serverless.Backup.Functions.Hosting;

/// <summary>The app's functions, written once.</summary>
public static class FunctionCatalog
{
    public static FunctionDefinition ScheduleTick { get; } = new() { Name = "ScheduleTick", Schedule = "0 * * * * *" };
    public static FunctionDefinition Reconcile { get; } = new() { Name = "Reconcile", Schedule = "30 * * * * *" };
    public static FunctionDefinition TriggerBackup { get; } = new() { Name = "TriggerBackup", Route = Routes.TriggerBackup, Methods = ["post"] };
    public static FunctionDefinition CreateRestore { get; } = new() { Name = "CreateRestore", Route = Routes.CreateRestore, Methods = ["post"] };
    public static FunctionDefinition GetSession { get; } = new() { Name = "GetSession", Route = Routes.GetSession, Methods = ["get"] };
    public static FunctionDefinition ListSessions { get; } = new() { Name = "ListSessions", Route = Routes.ListSessions, Methods = ["get"] };
    /// <summary>Anonymous at the host: the runner has no function key; each request is HMAC-signed with its session's token.</summary>
    public static FunctionDefinition SessionEvents { get; } = new() { Name = "SessionEvents", Route = Routes.SessionEvents, Methods = ["post"], AuthLevel = "anonymous" };

    public static IReadOnlyList<FunctionDefinition> All { get; } =
        [ScheduleTick, Reconcile, TriggerBackup, CreateRestore, GetSession, ListSessions, SessionEvents];
}
