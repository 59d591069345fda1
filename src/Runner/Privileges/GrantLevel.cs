namespace Serverless.Backup.Runner.Privileges;

/// <summary>Where a grant applies: everywhere, a database (name pattern), a table, or some columns of a table.</summary>
public enum GrantLevel
{
    Global,
    Database,
    Table,
    Columns,
}
