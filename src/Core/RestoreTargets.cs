namespace Serverless.Backup.Core;

/// <summary>
/// The rules for what a restore names and writes into, shared by the HTTP API, the RestoreSession resource and the
/// runner's settings (each passes its own field names, so every message names the field its reader wrote):
/// every name is a database name; no database is restored into one of the server's own (mysql, sys,
/// performance_schema, information_schema, in any letter case), renamed or not; no two databases go into one target.
/// </summary>
public static class RestoreTargets
{
    /// <summary>The database a source database is restored into.</summary>
    public static string TargetOf(string source, IReadOnlyDictionary<string, string>? rename) =>
        rename is not null && rename.TryGetValue(source, out var target) ? target : source;

    /// <summary>
    /// The errors of a restore's database choices; empty when there are none. <paramref name="databases"/> are the
    /// sources to restore (empty: all of the snapshots', which only the runner knows), <paramref name="rename"/>
    /// maps sources to targets.
    /// </summary>
    public static List<string> Check(
        IReadOnlyList<string>? databases, IReadOnlyDictionary<string, string>? rename, string databasesField, string renameField)
    {
        var errors = new List<string>();
        foreach (var name in databases ?? [])
        {
            if (DatabaseNames.Problem(name) is { } problem)
            {
                errors.Add(DatabaseNames.Malformed(databasesField, name, problem));
            }
        }
        foreach (var (source, target) in rename ?? new Dictionary<string, string>())
        {
            if (DatabaseNames.Problem(source) is { } sourceProblem)
            {
                errors.Add(DatabaseNames.Malformed(renameField, source, sourceProblem));
            }
            if (DatabaseNames.Problem(target) is { } targetProblem)
            {
                errors.Add(DatabaseNames.Malformed(renameField, target, targetProblem));
            }
            else if (DatabaseNames.IsSystem(target))
            {
                errors.Add($"{renameField} maps {DatabaseNames.Show(source)} to {DatabaseNames.Show(target)}, one of the server's own databases " +
                    $"({string.Join(", ", DatabaseNames.System)}): a restore into it would overwrite the server's own tables; choose another target name");
            }
        }
        foreach (var source in (databases ?? []).Where(d => DatabaseNames.IsValid(d) && DatabaseNames.IsSystem(d)))
        {
            if (rename is null || !rename.ContainsKey(source))
            {
                errors.Add(SystemSource(source, databasesField, renameField));
            }
        }
        // The sources that will be restored, as far as the choices tell (with no list, the runner finds the rest).
        var sources = databases is { Count: > 0 } ? databases.Distinct(StringComparer.Ordinal) : rename?.Keys ?? Enumerable.Empty<string>();
        errors.AddRange(Collisions(sources.Where(DatabaseNames.IsValid), rename, renameField));
        return errors;
    }

    /// <summary>A source that would be restored under its own name into one of the server's own databases.</summary>
    public static string SystemSource(string source, string databasesField, string renameField) =>
        $"{databasesField} has {DatabaseNames.Show(source)}, which would be restored into the server's own {DatabaseNames.Show(source)} database: " +
        $"rename it with {renameField} (for example to {DatabaseNames.Show(source + "_restored")}) or leave it out";

    /// <summary>
    /// Messages for every target that two or more of the sources would be restored into, with names compared as
    /// the server compares them (exactly unless the runner learnt otherwise from the server).
    /// </summary>
    public static IEnumerable<string> Collisions(
        IEnumerable<string> sources, IReadOnlyDictionary<string, string>? rename, string renameField, IEqualityComparer<string>? comparer = null) =>
        sources
            .GroupBy(s => TargetOf(s, rename), comparer ?? StringComparer.Ordinal)
            .Where(g => g.Count() > 1)
            .Select(g => $"{renameField} restores {string.Join(" and ", g.Select(DatabaseNames.Show))} into the same database {DatabaseNames.Show(g.Key)}: give each its own target");
}
