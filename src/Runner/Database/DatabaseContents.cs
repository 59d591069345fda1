namespace Serverless.Backup.Runner.Database;

/// <summary>What a database on the server holds: how many of each kind of object, and the first few of their names.</summary>
public sealed record DatabaseContents(int Tables, int Views, int Routines, int Events, IReadOnlyList<string> FirstNames)
{
    public bool IsEmpty => Tables + Views + Routines + Events == 0;

    /// <summary>Such as "2 tables, 1 view ('orders', 'customers', 'big_orders')".</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        void Add(int count, string noun)
        {
            if (count > 0)
            {
                parts.Add($"{count} {noun}{(count == 1 ? "" : "s")}");
            }
        }
        Add(Tables, "table");
        Add(Views, "view");
        Add(Routines, "routine");
        Add(Events, "event");
        var total = Tables + Views + Routines + Events;
        var names = string.Join(", ", FirstNames.Select(Core.DatabaseNames.Show)) + (total > FirstNames.Count ? ", …" : "");
        return parts.Count == 0 ? "nothing" : $"{string.Join(", ", parts)} ({names})";
    }
}
