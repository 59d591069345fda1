namespace Serverless.Backup.Runner.Privileges;

/// <summary>
/// What the account may do, from its SHOW GRANTS lines (its own grants and those of its enabled roles and PUBLIC):
/// the server's rules for which grant applies where. Names compare without case when the server folds them
/// (lower_case_table_names is not 0).
/// </summary>
public sealed class AccountGrants(IReadOnlyList<Grant> grants, bool ignoreCase)
{
    private StringComparison Comparison => ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    public IReadOnlyList<Grant> Grants => grants;

    /// <summary>Whether the privilege is held on the database (table null) or on the table, at any level that covers it.</summary>
    public bool Holds(string privilege, string database, string? table = null) =>
        HoldsGlobally(privilege, database)
        || AtDatabase(database).Any(g => Covers(g, privilege))
        || (table is not null && grants.Any(g => g is { Level: GrantLevel.Table, Revoke: false }
            && Same(g.Database, database) && Same(g.Table, table) && Covers(g, privilege)));

    /// <summary>Whether any of the privileges is held on the whole database (globally or at database level).</summary>
    public bool HoldsOnDatabase(IEnumerable<string> privileges, string database) =>
        privileges.Any(p => HoldsGlobally(p, database) || AtDatabase(database).Any(g => Covers(g, p)));

    /// <summary>The columns of the table on which the privilege is granted column by column.</summary>
    public IReadOnlyList<string> Columns(string privilege, string database, string table) =>
        grants.Where(g => g is { Level: GrantLevel.Columns, Revoke: false } && Same(g.Database, database) && Same(g.Table, table) && Covers(g, privilege))
            .SelectMany(g => g.Columns)
            .Distinct(ignoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal)
            .ToList();

    /// <summary>A global privilege, unless a partial revoke (MySQL) takes it away from this database.</summary>
    public bool HoldsGlobally(string privilege, string database) =>
        grants.Any(g => g is { Level: GrantLevel.Global, Revoke: false } && Covers(g, privilege))
        && !grants.Any(g => g is { Level: GrantLevel.Database, Revoke: true } && Same(g.Database, database) && Covers(g, privilege));

    /// <summary>
    /// The database-level grants that apply to the database. For each grantee (the user, each enabled role) the
    /// server takes one matching row, preferring the one that names the database exactly over wildcard patterns;
    /// of several patterns all are kept (a rare case, where this errs towards passing rather than refusing).
    /// </summary>
    private IEnumerable<Grant> AtDatabase(string database) =>
        grants.Where(g => g is { Level: GrantLevel.Database, Revoke: false } && SqlText.PatternMatches(g.Database!, database, ignoreCase))
            .GroupBy(g => g.Grantee, StringComparer.Ordinal)
            .SelectMany(byGrantee => byGrantee.Any(g => !SqlText.HasWildcard(g.Database!))
                ? byGrantee.Where(g => !SqlText.HasWildcard(g.Database!))
                : byGrantee);

    private static bool Covers(Grant grant, string privilege) =>
        grant.Privilege == privilege || grant.Privilege == "ALL";

    private bool Same(string? a, string b) => a is not null && string.Equals(a, b, Comparison);
}
