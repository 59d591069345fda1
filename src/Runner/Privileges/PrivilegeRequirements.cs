namespace Serverless.Backup.Runner.Privileges;

/// <summary>
/// Which privileges a dump with these options needs on these objects, and which of them the account lacks. What
/// mysqldump cannot read it mostly leaves out and still exits 0: a table without SELECT is dumped without rows, a
/// table with SELECT on some columns only gets INSERTs without the others (which cannot be restored), triggers
/// without TRIGGER and routines without the privilege to read their definitions are missing. A table on which
/// the user has no privilege at all is invisible to it unless it holds a table privilege on the whole database.
/// </summary>
public sealed class PrivilegeRequirements(AccountGrants grants, ServerKind server, DumpOptions options, bool ignoreCase)
{
    /// <summary>Names listed in one message at most; the rest are counted.</summary>
    public const int NamesShown = 10;

    /// <summary>Database-level privileges that make every table of the database visible to the user (table privileges).</summary>
    private static readonly string[] Visibility =
        ["SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "REFERENCES", "INDEX", "ALTER", "CREATE VIEW", "SHOW VIEW", "TRIGGER", "DELETE HISTORY"];

    /// <summary>The order GRANT and the documentation list the database privileges in.</summary>
    private static readonly string[] Order = ["SELECT", "SHOW VIEW", "TRIGGER", "EVENT", "LOCK TABLES"];

    private StringComparer Names => ignoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    public IReadOnlyList<Shortfall> Check(IReadOnlyList<string> databases, IReadOnlyList<DumpObject> objects)
    {
        var result = new List<Shortfall>();
        foreach (var database in databases)
        {
            if (CheckDatabase(database, objects.Where(o => Names.Equals(o.Database, database)).ToList()) is { } shortfall)
            {
                result.Add(shortfall);
            }
        }
        if (options.Routines && CheckRoutines(databases) is { } routines)
        {
            result.Add(routines);
        }
        if (options.LockAllTables && !grants.HoldsGlobally("RELOAD", databases[0]))
        {
            result.Add(new(null, "global read lock", ["no RELOAD, which --lock-all-tables in MYSQL_DUMP_ARGS needs for its global read lock (the dump would fail)"],
                [new(["RELOAD"], "*.*")]));
        }
        return result;
    }

    private Shortfall? CheckDatabase(string database, IReadOnlyList<DumpObject> objects)
    {
        var problems = new List<string>();
        var needed = new List<string>();
        var unreadable = new List<string>();
        var unreadableViews = new List<string>();
        var partly = new List<string>();
        var noShowView = new List<string>();
        var noTrigger = new List<string>();
        foreach (var item in objects.Where(o => !Ignored(options.IgnoredTables, o)))
        {
            // A view's structure is read through SELECT even without data; a table's rows only when data is dumped.
            var rows = item.IsView || !(options.NoData || Ignored(options.IgnoredTableData, item));
            if (rows && !grants.Holds("SELECT", database, item.Name))
            {
                var columns = grants.Columns("SELECT", database, item.Name);
                if (columns.Count > 0)
                {
                    partly.Add($"{SqlText.Identifier(item.Name)} ({string.Join(", ", columns.Select(SqlText.Identifier))})");
                }
                else
                {
                    (item.IsView ? unreadableViews : unreadable).Add(SqlText.Identifier(item.Name));
                }
            }
            if (item.IsView && !grants.Holds("SHOW VIEW", database, item.Name))
            {
                noShowView.Add(SqlText.Identifier(item.Name));
            }
            if (options.Triggers && item.HasTriggers && !grants.Holds("TRIGGER", database, item.Name))
            {
                noTrigger.Add(SqlText.Identifier(item.Name));
            }
        }
        if (unreadable.Count > 0)
        {
            problems.Add($"no SELECT on {List(unreadable)}: the backup would hold no rows of them");
        }
        if (partly.Count > 0)
        {
            problems.Add($"SELECT on only some columns of {List(partly)}: the backup's rows would lack the other columns and could not be restored");
        }
        if (unreadableViews.Count > 0)
        {
            problems.Add($"no SELECT on the views {List(unreadableViews)}: their dump would fail");
        }
        if (unreadable.Count + unreadableViews.Count + partly.Count > 0)
        {
            needed.Add("SELECT");
        }
        if (noShowView.Count > 0)
        {
            problems.Add($"no SHOW VIEW on {List(noShowView)}: their dump would fail");
            needed.Add("SHOW VIEW");
        }
        if (noTrigger.Count > 0)
        {
            problems.Add($"no TRIGGER on {List(noTrigger)}: their triggers would be missing (--triggers)");
            needed.Add("TRIGGER");
        }
        if (options.Events && !grants.Holds("EVENT", database))
        {
            problems.Add("no EVENT: the dump of its events would fail (--events)");
            needed.Add("EVENT");
        }
        if (options.TakesTableLocks && !grants.Holds("LOCK TABLES", database))
        {
            problems.Add("no LOCK TABLES, which the dump needs because MYSQL_DUMP_ARGS turns --single-transaction off (the dump would fail)");
            needed.Add("LOCK TABLES");
        }
        if (!grants.HoldsOnDatabase(Visibility, database))
        {
            problems.Add("no table privilege on the database as a whole, so a table on which the user has no grant of its own is invisible to it and would be missing from the backup without an error");
            // What it cannot see it cannot be told to grant table by table: what the dump reads, on the database.
            needed.AddRange(options.Triggers ? ["SELECT", "SHOW VIEW", "TRIGGER"] : ["SELECT", "SHOW VIEW"]);
        }
        var ordered = Order.Where(needed.Contains).ToList();
        var target = grants.OwnPattern(database) is { } own ? SqlText.Identifier(own) + ".*" : SqlText.DatabaseTarget(database);
        return problems.Count == 0 ? null : new(database, $"database '{database}'", problems, [new(ordered, target)]);
    }

    /// <summary>
    /// mysqldump lists only the routines the user may see and writes a comment instead of a routine whose
    /// definition it may not read, and the user cannot tell which routines exist: the privilege to read every
    /// definition is needed whenever --routines is on.
    /// </summary>
    private Shortfall? CheckRoutines(IReadOnlyList<string> databases)
    {
        var lacking = databases.Where(d => !CanReadRoutines(d)).ToList();
        if (lacking.Count == 0)
        {
            return null;
        }
        const string effect = "stored procedures and functions would be missing from the backup without an error (--routines)";
        if (server.HasShowCreateRoutine)
        {
            return new(null, "routines", [$"no SHOW CREATE ROUTINE on {List(lacking.Select(d => $"'{d}'").ToList())}: {effect}"],
                lacking.Select(d => new MissingGrant(["SHOW CREATE ROUTINE"], grants.OwnPattern(d) is { } own ? SqlText.Identifier(own) + ".*" : SqlText.DatabaseTarget(d))).ToList());
        }
        if (server.HasShowRoutine)
        {
            return new(null, "routines", [$"no SHOW_ROUTINE: {effect}"], [new(["SHOW_ROUTINE"], "*.*")]);
        }
        if (server.HasProcTable)
        {
            return new(null, "routines", [$"no SELECT on `mysql`.`proc`, where the server keeps routines' definitions: {effect}"], [new(["SELECT"], "`mysql`.`proc`")]);
        }
        return new(null, "routines", [$"no global SELECT, which {server} needs to show routines' definitions: {effect}"], [new(["SELECT"], "*.*")]);
    }

    private bool CanReadRoutines(string database) =>
        grants.HoldsGlobally("SELECT", database)
        || (server.HasProcTable && grants.Holds("SELECT", "mysql", "proc"))
        || (server.HasShowCreateRoutine && grants.Holds("SHOW CREATE ROUTINE", database))
        || (server.HasShowRoutine && grants.HoldsGlobally("SHOW_ROUTINE", database));

    private bool Ignored(IReadOnlyList<(string Database, string Table)> list, DumpObject item) =>
        list.Any(t => Names.Equals(t.Database, item.Database) && Names.Equals(t.Table, item.Name));

    private static string List(IReadOnlyList<string> names) =>
        names.Count <= NamesShown
            ? string.Join(", ", names)
            : $"{string.Join(", ", names.Take(NamesShown))} and {names.Count - NamesShown} more";

    /// <summary>
    /// The global privileges point-in-time recovery needs: a backup that records its binary-log position needs
    /// RELOAD (mysqldump --master-data/--source-data takes a global read lock or flushes) and BINLOG MONITOR
    /// (MariaDB 10.5.2 and later; REPLICATION CLIENT on MySQL and older MariaDB) for SHOW MASTER STATUS; the archive
    /// verb needs REPLICATION SLAVE to read the logs remotely, BINLOG MONITOR/REPLICATION CLIENT for SHOW BINARY
    /// LOGS and RELOAD for FLUSH BINARY LOGS. Null when the account holds them all.
    /// </summary>
    public static Shortfall? Binlog(AccountGrants grants, ServerKind server, bool archive)
    {
        var monitor = server.MariaDb && server.Version >= new Version(10, 5, 2) ? "BINLOG MONITOR" : "REPLICATION CLIENT";
        var what = archive ? "archiving binary logs" : "recording the dump's binary-log position";
        var missing = new List<string>();
        var problems = new List<string>();
        bool Has(params string[] any) => any.Any(p => grants.HoldsGlobally(p, ""));
        if (archive && !Has("REPLICATION SLAVE"))
        {
            missing.Add("REPLICATION SLAVE");
            problems.Add("no REPLICATION SLAVE, which reading the binary logs from the server (mariadb-binlog --read-from-remote-server) needs");
        }
        if (!Has("BINLOG MONITOR", "REPLICATION CLIENT"))
        {
            missing.Add(monitor);
            problems.Add($"no {monitor}, which {(archive ? "SHOW BINARY LOGS" : "SHOW MASTER STATUS (the dump's position)")} needs");
        }
        if (!Has("RELOAD"))
        {
            missing.Add("RELOAD");
            problems.Add(archive
                ? "no RELOAD, which FLUSH BINARY LOGS (closing the current log so it can be archived) needs"
                : "no RELOAD, which the dump's --master-data/--source-data (a brief global read lock for a consistent position) needs");
        }
        string[] order = ["RELOAD", "REPLICATION SLAVE", monitor];
        return missing.Count == 0
            ? null
            : new(null, what, problems, [new(order.Where(missing.Contains).ToList(), "*.*")]);
    }

    /// <summary>
    /// What a point-in-time restore needs to apply archived row events (mariadb-binlog writes them as BINLOG
    /// statements): BINLOG REPLAY on MariaDB 10.5.2 and later, SUPER on older MariaDB; on MySQL SUPER,
    /// REPLICATION_APPLIER or BINLOG_ADMIN (untested here). Null when the account holds it.
    /// </summary>
    public static Shortfall? Replay(AccountGrants grants, ServerKind server)
    {
        string[] any = server.MariaDb
            ? server.Version >= new Version(10, 5, 2) ? ["BINLOG REPLAY", "SUPER"] : ["SUPER"]
            : ["SUPER", "REPLICATION_APPLIER", "BINLOG_ADMIN"];
        if (any.Any(p => grants.HoldsGlobally(p, "")))
        {
            return null;
        }
        return new(null, "replaying binary logs", [$"no {any[0]}, which applying the archived row events (BINLOG statements) needs"], [new([any[0]], "*.*")]);
    }
}
