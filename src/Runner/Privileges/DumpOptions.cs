namespace Serverless.Backup.Runner.Privileges;

/// <summary>
/// What the dump's options make mysqldump read, and so which privileges it needs: routines, triggers, events, table
/// locks, the tables and table data left out on purpose. Read as mysqldump reads its options: the last one wins,
/// `--skip-x`, `--disable-x`, `--enable-x`, `--x=0/1/ON/OFF/TRUE/FALSE`, `-` and `_` alike, a `--loose-` prefix.
/// </summary>
public sealed record DumpOptions
{
    public bool Routines { get; init; }
    public bool Triggers { get; init; } = true;
    public bool Events { get; init; }
    public bool SingleTransaction { get; init; }
    public bool LockTables { get; init; } = true;
    public bool LockAllTables { get; init; }
    public bool NoData { get; init; }

    /// <summary>`db.table` left out of the dump (--ignore-table).</summary>
    public IReadOnlyList<(string Database, string Table)> IgnoredTables { get; init; } = [];

    /// <summary>`db.table` whose rows are left out (--ignore-table-data).</summary>
    public IReadOnlyList<(string Database, string Table)> IgnoredTableData { get; init; } = [];

    /// <summary>LOCK TABLES is used only when neither a consistent snapshot nor a global read lock is taken instead.</summary>
    public bool TakesTableLocks => LockTables && !SingleTransaction && !LockAllTables;

    public static DumpOptions From(IEnumerable<string> arguments)
    {
        var options = new DumpOptions();
        var list = arguments.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            var argument = list[i];
            if (argument is "-R" or "-E" or "-x" or "-l" or "-d")
            {
                options = Apply(options, argument[1] switch
                {
                    'R' => "routines",
                    'E' => "events",
                    'x' => "lock-all-tables",
                    'l' => "lock-tables",
                    _ => "no-data",
                }, true);
                continue;
            }
            if (!argument.StartsWith("--", StringComparison.Ordinal))
            {
                continue;
            }
            var (name, value) = argument.IndexOf('=') is var eq and > 0 ? (argument[2..eq], argument[(eq + 1)..]) : (argument[2..], null);
            name = name.Replace('_', '-').ToLowerInvariant();
            if (name.StartsWith("loose-", StringComparison.Ordinal))
            {
                name = name["loose-".Length..];
            }
            if (name is "ignore-table" or "ignore-table-data")
            {
                value ??= i + 1 < list.Count ? list[++i] : null;
                if (value?.IndexOf('.') is > 0 and var dot)
                {
                    var table = (value[..dot], value[(dot + 1)..]);
                    options = name == "ignore-table"
                        ? options with { IgnoredTables = [.. options.IgnoredTables, table] }
                        : options with { IgnoredTableData = [.. options.IgnoredTableData, table] };
                }
                continue;
            }
            var on = value is null || value.ToUpperInvariant() is "1" or "ON" or "TRUE";
            foreach (var (prefix, flag) in new[] { ("skip-", false), ("disable-", false), ("enable-", true) })
            {
                if (name.StartsWith(prefix, StringComparison.Ordinal))
                {
                    name = name[prefix.Length..];
                    on = flag;
                    break;
                }
            }
            options = Apply(options, name, on);
        }
        return options;
    }

    private static DumpOptions Apply(DumpOptions options, string name, bool on) => name switch
    {
        "routines" => options with { Routines = on },
        "triggers" => options with { Triggers = on },
        "events" => options with { Events = on },
        "single-transaction" => options with { SingleTransaction = on },
        "lock-tables" => options with { LockTables = on },
        "lock-all-tables" => options with { LockAllTables = on },
        "no-data" => options with { NoData = on },
        // --opt (on by default) includes --lock-tables; --skip-opt turns it off with the rest.
        "opt" => options with { LockTables = on },
        _ => options,
    };
}
