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
}
