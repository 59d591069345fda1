namespace Serverless.Backup.Functions.Api;

/// <summary>The HTTP routes (after the host's /api prefix), written once: function.json, standalone mode and the Job's webhook URL use them.</summary>
public static class Routes
{
    public const string Prefix = "api";
    public const string TriggerBackup = "backups/{namespace}/{configuration}";
    public const string CreateRestore = "restores/{namespace}";
    public const string GetSession = "sessions/{namespace}/{kind}/{name}";
    public const string ListSessions = "sessions";
    /// <summary>kind is <c>backup</c> or <c>restore</c>; the runner posts its signed events here.</summary>
    public const string SessionEvents = "sessions/{namespace}/{kind}/{name}/events";

    public static string EventsPath(string @namespace, string kind, string name) =>
        $"/{Prefix}/sessions/{Uri.EscapeDataString(@namespace)}/{kind}/{Uri.EscapeDataString(name)}/events";
}
