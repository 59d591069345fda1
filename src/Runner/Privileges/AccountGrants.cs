namespace Serverless.Backup.Runner.Privileges;

/// <summary>
/// What the account may do, from its SHOW GRANTS lines (its own grants and those of its enabled roles and PUBLIC):
/// the server's rules for which grant applies where. <paramref name="account"/> is the account as CURRENT_USER()
/// names it (user@host), which is how <see cref="Grant.Grantee"/> names it too. Names compare without case when
/// the server folds them (lower_case_table_names is not 0).
/// </summary>
public sealed class AccountGrants(IReadOnlyList<Grant> grants, ServerKind server, bool ignoreCase, string account)
{
    private readonly StringComparer _names = ignoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    // Table and column grants by table, and database grants as resolved per database: a check of thousands of
    // tables against thousands of table grants looks each one up instead of scanning them all.
    private readonly ILookup<string, Grant> _byTable = grants
        .Where(g => g is { Level: GrantLevel.Table or GrantLevel.Columns, Revoke: false })
        .ToLookup(g => Key(g.Database!, g.Table!), ignoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);

    private readonly Dictionary<string, IReadOnlyList<Grant>> _atDatabase = new(ignoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);

    public IReadOnlyList<Grant> Grants => grants;

    /// <summary>Whether the privilege is held on the database (table null) or on the table, at any level that covers it.</summary>
    public bool Holds(string privilege, string database, string? table = null) =>
        HoldsGlobally(privilege, database)
        || AtDatabase(database).Any(g => Covers(g, privilege))
        || (table is not null && _byTable[Key(database, table)].Any(g => g.Level == GrantLevel.Table && Covers(g, privilege)));

    /// <summary>Whether any of the privileges is held on the whole database (globally or at database level).</summary>
    public bool HoldsOnDatabase(IEnumerable<string> privileges, string database) =>
        privileges.Any(p => HoldsGlobally(p, database) || AtDatabase(database).Any(g => Covers(g, p)));

    /// <summary>The columns of the table on which the privilege is granted column by column, sorted (SHOW GRANTS lists them in no set order).</summary>
    public IReadOnlyList<string> Columns(string privilege, string database, string table) =>
        _byTable[Key(database, table)]
            .Where(g => g.Level == GrantLevel.Columns && Covers(g, privilege))
            .SelectMany(g => g.Columns)
            .Distinct(_names)
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>A global privilege, unless a partial revoke (MySQL) takes it away from this database.</summary>
    public bool HoldsGlobally(string privilege, string database) =>
        grants.Any(g => g is { Level: GrantLevel.Global, Revoke: false } && Covers(g, privilege))
        && !grants.Any(g => g is { Level: GrantLevel.Database, Revoke: true } && _names.Equals(g.Database, database) && Covers(g, privilege));

    /// <summary>
    /// The pattern of the account's own database-level grant that the server applies to the database, if any: a
    /// grant that fixes something must extend this one, since a new, more specific one would replace it.
    /// </summary>
    public string? OwnPattern(string database) =>
        AtDatabase(database).FirstOrDefault(g => g.Grantee == account)?.Database;

    /// <summary>
    /// The database-level grants that apply to the database: for each grantee (the account, each enabled role,
    /// PUBLIC) the server applies the most specific matching pattern only (<see cref="SqlText.Specificity"/>);
    /// MariaDB breaks a tie by the smaller name, and on MySQL patterns that tie are all kept, erring towards
    /// passing rather than refusing.
    /// </summary>
    private IReadOnlyList<Grant> AtDatabase(string database)
    {
        if (_atDatabase.TryGetValue(database, out var known))
        {
            return known;
        }
        var applied = grants
            .Where(g => g is { Level: GrantLevel.Database, Revoke: false } && SqlText.PatternMatches(g.Database!, database, ignoreCase))
            .GroupBy(g => g.Grantee, StringComparer.Ordinal)
            .SelectMany(byGrantee =>
            {
                var best = byGrantee.Max(g => SqlText.Specificity(g.Database!, server.MariaDb));
                var tied = byGrantee.Where(g => SqlText.Specificity(g.Database!, server.MariaDb) == best).ToList();
                var first = tied.Select(g => g.Database!).Min(StringComparer.Ordinal);
                return server.MariaDb ? tied.Where(g => g.Database == first) : tied;
            })
            .ToList();
        _atDatabase[database] = applied;
        return applied;
    }

    private static string Key(string database, string table) => database + "\0" + table;

    private static bool Covers(Grant grant, string privilege) =>
        grant.Privilege == privilege || grant.Privilege == "ALL";
}
