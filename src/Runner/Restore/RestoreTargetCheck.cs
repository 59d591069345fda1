using Serverless.Backup.Core;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Database;
using Serverless.Backup.Runner.Restic;

namespace Serverless.Backup.Runner.Restore;

/// <summary>
/// Whether a restore may write into its targets, decided for every target before anything is written to any of
/// them: never into one of the server's own databases, never two databases into one, and never into a database
/// that already holds tables, views, routines or events unless RESTORE_OVERWRITE allows it (a dump replaces the
/// tables it carries, so a typo in a target name would otherwise replace a live database's data).
/// The settings were checked when read; these checks see what only the chosen snapshots and the server tell.
/// </summary>
public sealed class RestoreTargetCheck(RestoreSettings settings, MySqlServer server)
{
    private const string RenameSetting = "RESTORE_RENAME";

    /// <summary>The checks that need only the chosen snapshots: run them before waiting for the server.</summary>
    public void CheckNames(IReadOnlyList<ResticSnapshot> snapshots)
    {
        var sources = snapshots.Select(s => s.Database!).ToList();
        var errors = sources
            .Where(s => DatabaseNames.IsSystem(RestoreTargets.TargetOf(s, settings.Rename)))
            .Select(s => $"the chosen snapshots hold {DatabaseNames.Show(s)}, which would be restored into the server's own {DatabaseNames.Show(s)} database: " +
                $"leave it out (RESTORE_DATABASES, spec.databases) or restore it under another name (RESTORE_RENAME, spec.rename), for example {DatabaseNames.Show(s + "_restored")}")
            .Concat(RestoreTargets.Collisions(sources, settings.Rename, RenameSetting))
            .ToList();
        if (errors.Count > 0)
        {
            throw new RunnerFailure(FailureReason.InvalidSettings, string.Join("; ", errors) + "; nothing was written", sources[0]);
        }
    }

    /// <summary>The checks that ask the server: targets that are one database by its rules, and targets that hold data.</summary>
    public async Task CheckServerAsync(IReadOnlyList<ResticSnapshot> snapshots, CancellationToken cancellationToken)
    {
        var sources = snapshots.Select(s => s.Database!).ToList();
        var comparer = await server.NameComparerAsync(cancellationToken);
        if (RestoreTargets.Collisions(sources, settings.Rename, RenameSetting, comparer).ToList() is { Count: > 0 } collisions)
        {
            throw new RunnerFailure(FailureReason.InvalidSettings,
                string.Join("; ", collisions) + " (the server matches database names without letter case); nothing was written", sources[0]);
        }
        var targets = sources.ToDictionary(s => s, s => RestoreTargets.TargetOf(s, settings.Rename), StringComparer.Ordinal);
        var contents = await server.DescribeAsync(targets.Values.ToList(), comparer, cancellationToken);
        await CheckNewFolderNamesAsync(sources.Where(s => contents[targets[s]] is null).ToList(), targets, cancellationToken);
        var full = sources.Where(s => contents[targets[s]] is { IsEmpty: false }).ToList();
        if (settings.Overwrite || full.Count == 0)
        {
            return;
        }
        var described = full.Select(s =>
            $"{DatabaseNames.Show(targets[s])}{(targets[s] == s ? "" : $" (the target of {DatabaseNames.Show(s)})")} holds {contents[targets[s]]}");
        throw new RunnerFailure(FailureReason.TargetNotEmpty,
            $"{(full.Count == 1 ? "the target database" : "the target databases")} {string.Join("; ", described)}, and a restore replaces the tables it carries: " +
            "restore into a new or empty database (RESTORE_RENAME, spec.rename), or set RESTORE_OVERWRITE=true (spec.overwrite: true) to replace them; nothing was written",
            full[0]);
    }

    /// <summary>
    /// A database the restore creates is a folder on the server, whose encoded name must fit in 255 bytes: a
    /// name of 64 characters can be refused there (64 snowmen take 320). Asked before anything is written.
    /// </summary>
    private async Task CheckNewFolderNamesAsync(IReadOnlyList<string> sources, IReadOnlyDictionary<string, string> targets, CancellationToken cancellationToken)
    {
        var errors = new List<(string Source, string Message)>();
        foreach (var source in sources)
        {
            if (await server.FolderNameBytesAsync(targets[source], cancellationToken) is > MaxFolderNameBytes and var bytes)
            {
                errors.Add((source, $"the server would store database {DatabaseNames.Show(targets[source])} as a folder whose encoded name takes {bytes} bytes, more than the {MaxFolderNameBytes} a file name can hold " +
                    "(a character other than an ASCII letter or digit takes up to 5): restore it under a shorter name (RESTORE_RENAME, spec.rename)"));
            }
        }
        if (errors.Count > 0)
        {
            throw new RunnerFailure(FailureReason.InvalidSettings, string.Join("; ", errors.Select(e => e.Message)) + "; nothing was written", errors[0].Source);
        }
    }

    private const int MaxFolderNameBytes = 255;
}
