namespace Serverless.Backup.Runner.Privileges;

/// <summary>
/// One privilege of one line of SHOW GRANTS. <see cref="Grantee"/> is the account (user@host), role or PUBLIC the
/// line grants to, without quotes; <see cref="Database"/> is a name pattern at database level and a plain name at
/// table level.
/// A REVOKE line (MySQL's partial revokes) takes a global privilege away from one database.
/// </summary>
public sealed record Grant(string Grantee, string Privilege, GrantLevel Level, string? Database = null, string? Table = null)
{
    public IReadOnlyList<string> Columns { get; init; } = [];
    public bool Revoke { get; init; }
}
