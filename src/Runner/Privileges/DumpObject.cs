namespace Serverless.Backup.Runner.Privileges;

/// <summary>A table, view or sequence of a database to dump, as information_schema.TABLES lists it to the user.</summary>
public sealed record DumpObject(string Database, string Name, string Type)
{
    public bool IsView => Type.Equals("VIEW", StringComparison.OrdinalIgnoreCase);

    /// <summary>Base tables (also system-versioned ones) hold rows and triggers; views and sequences have no triggers.</summary>
    public bool HasTriggers => !IsView && !Type.Equals("SEQUENCE", StringComparison.OrdinalIgnoreCase);
}
