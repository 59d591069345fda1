using Serverless.Backup.Runner.Processes;
using Serverless.Backup.Runner.Restic;

namespace Serverless.Backup.Runner.Maintenance;

/// <summary>
/// `restic check [--read-data-subset X]`. Exit 0 means no error was found. restic 0.14 has one exit code for every
/// failure, so damage is told from other failures (a lock, a wrong password, the storage) by its closing words,
/// "repository contains errors"; those other failures are reported as themselves.
/// </summary>
public sealed class IntegrityCheck(ResticClient restic)
{
    private const string Damage = "repository contains errors";

    /// <summary>Whether the repository is intact, and restic's own words (the tail of its output) when it is not.</summary>
    public async Task<(bool Intact, string Message)> RunAsync(string? readDataSubset, CancellationToken cancellationToken)
    {
        List<string> arguments = ["check"];
        if (readDataSubset is not null)
        {
            arguments.Add("--read-data-subset");
            arguments.Add(readDataSubset);
        }
        var (code, output, errors) = await restic.RunAsync(arguments, cancellationToken);
        if (code == 0)
        {
            return (true, "no errors were found" + (readDataSubset is null ? "" : $" (read {readDataSubset} of the data)"));
        }
        if (!errors.Contains(Damage))
        {
            throw restic.Failure("check", errors);
        }
        // restic writes what it found to stderr; stdout holds progress only.
        var tail = new OutputTail(10);
        foreach (var line in output.Split('\n').Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)))
        {
            tail.Add(line);
        }
        var found = errors.ToString();
        return (false, tail.ToString() == "(no output)" ? found : $"{tail} | {found}");
    }
}
