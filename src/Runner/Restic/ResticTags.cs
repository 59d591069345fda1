using Serverless.Backup.Core.Environment;

namespace Serverless.Backup.Runner.Restic;

/// <summary>
/// The key=value tags every snapshot of ours carries (restic tags cannot hold commas; all values here are
/// Kubernetes or database names, which cannot either).
/// </summary>
public static class ResticTags
{
    public const string Session = "session";
    public const string Configuration = "config";
    public const string Namespace = "namespace";
    public const string Database = "db";
    public const string CharacterSet = "charset";
    public const string Collation = "collation";

    public static string Of(string key, string value) => $"{key}={value}";

    /// <summary>The tags that say whose a backup's snapshot is: session, namespace, configuration and database.</summary>
    public static IReadOnlyList<string> OfRun(SessionSettings session, string database) =>
    [
        Of(Session, session.Name!),
        Of(Namespace, session.Namespace),
        Of(Configuration, session.Configuration ?? "adhoc"),
        Of(Database, database),
    ];
}
