namespace Serverless.Backup.Runner.Privileges;

/// <summary>Privileges to grant on one target (`shop`.*, `mysql`.`proc`, *.*), in the order GRANT lists them.</summary>
public sealed record MissingGrant(IReadOnlyList<string> Privileges, string Target)
{
    public string ToSql(string account) => $"GRANT {string.Join(", ", Privileges)} ON {Target} TO {account}";
}
