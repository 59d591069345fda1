using Microsoft.Extensions.Logging;
using Serverless.Backup.Core;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Core.Logging;
using Serverless.Backup.Runner.Database;
using Serverless.Backup.Runner.Logging;
using Serverless.Backup.Runner.Reporting;
using Serverless.Backup.Runner.Restic;
using Serverless.Backup.Runner.Restore;
using Serverless.Backup.Runner.Snapshots;

namespace Serverless.Backup.Runner.Verify;

/// <summary>
/// The verify verb: the newest confirmed snapshot of each database is restored into a scratch database, proven equal
/// to the backup (<see cref="DumpProof"/>), checked (<see cref="VerifyChecks"/>), and the scratch database dropped.
/// Everything that can be refused (no snapshot, a bad check, a scratch name taken) is refused before anything is
/// written.
/// </summary>
public sealed class VerifyRun(RunnerSettings settings, ResticClient restic, PendingSnapshots pending, ScratchRecords records, Reporter reporter, string temp, ILogger log)
{
    /// <summary>The scratch server: VERIFY_* where set, else the source server's MYSQL_* values.</summary>
    public static DatabaseSettings ScratchServer(RunnerSettings settings) => settings.Database with
    {
        Host = settings.Verify.Host ?? settings.Database.Host,
        Port = settings.Verify.Port ?? settings.Database.Port,
        User = settings.Verify.User ?? settings.Database.User,
        Password = settings.Verify.Password ?? settings.Database.Password,
    };

    private DatabaseSettings Scratch { get; } = ScratchServer(settings);

    private string Endpoint => $"{Scratch.Host}:{Scratch.Port}";

    private bool OnSourceServer =>
        string.Equals(Scratch.Host, settings.Database.Host, StringComparison.OrdinalIgnoreCase) && Scratch.Port == settings.Database.Port;

    public async Task<(IReadOnlyList<DatabaseResult> Restored, VerificationResult Verification)> RunAsync(CancellationToken stop)
    {
        var checks = settings.Verify.ParsedChecks();
        var (snapshots, backedUp) = await SelectAsync(stop);
        var unknown = checks.Where(c => snapshots.All(s => s.Database != c.Database)).Select(c => c.Name).ToList();
        if (unknown.Count > 0)
        {
            throw new RunnerFailure(FailureReason.InvalidSettings,
                $"VERIFY_CHECKS: check {string.Join(", ", unknown.Select(n => $"'{n}'"))} names a database this run does not verify: use one of {string.Join(", ", snapshots.Select(s => DatabaseNames.Show(s.Database)))}");
        }

        var server = new MySqlServer(Scratch, log);
        try
        {
            await server.WaitUntilReadyAsync(stop);
        }
        catch (RunnerFailure e) when (e.Reason is FailureReason.DatabaseUnreachable or FailureReason.DatabaseAccessDenied)
        {
            throw new RunnerFailure(e.Reason, $"the scratch server for verification did not answer: {e.Message} (the scratch server is VERIFY_HOST, VERIFY_PORT, VERIFY_USER and VERIFY_PASSWORD where set); nothing was restored", null, e);
        }
        // Scratch databases that killed runs left on this server go first: their names may be taken otherwise.
        await records.DropLeftoversAsync(server, Endpoint, settings.Maintenance.Exclusive, stop);
        var names = await PlanAsync(server, snapshots, backedUp, stop);
        reporter.Started(snapshots.Select(s => s.Database!).ToList());

        using var tools = new MySqlTools(Scratch, temp);
        var scratch = new ScratchDatabases(server, Endpoint, records, settings.Session.Namespace, settings.Session.Name ?? "", log);
        var proof = new DumpProof(restic, tools);
        var verified = new List<VerifiedDatabase>();
        var results = new List<CheckResult>();
        var restored = new List<DatabaseResult>();
        VerificationResult SoFar() => new() { Databases = verified.ToList(), Checks = results.ToList() };
        try
        {
            foreach (var snapshot in snapshots)
            {
                var source = snapshot.Database!;
                using (log.BeginScope(new LogScope(("database", source))))
                {
                    var expected = await proof.OfSnapshotAsync(snapshot, stop);
                    await scratch.CreateAsync(names[source], snapshot.Tag(ResticTags.CharacterSet), snapshot.Tag(ResticTags.Collation), source, stop);
                    var restore = new RestoreRun(
                        settings with { Database = Scratch, Restore = new() { Rename = new Dictionary<string, string> { [source] = names[source] } } },
                        server, tools, restic, pending, reporter, log);
                    restored.AddRange(await restore.RunAsync([snapshot], stop));
                    var actual = await proof.OfScratchAsync(source, names[source], stop);
                    var result = new VerifiedDatabase
                    {
                        Database = source, SnapshotId = snapshot.Id, Scratch = names[source],
                        BackupSha256 = expected.Sha256, RestoredSha256 = actual.Sha256,
                        FirstDifference = DumpNormalizer.FirstDifference(expected.Complete(), actual.Complete()),
                    };
                    verified.Add(result);
                    if (!result.Equal || result.FirstDifference is not null)
                    {
                        throw new RunnerFailure(FailureReason.VerificationFailed,
                            $"the restored copy of {DatabaseNames.Show(source)} (snapshot {snapshot.ShortId ?? snapshot.Id}) is not the same as the backup: they first differ in {result.FirstDifference ?? "the whole dump"}; the backup did not restore to the same data: check the scratch server's settings against the source server's, and back up again", source)
                        { Verification = SoFar() };
                    }
                    log.Info($"the restored copy of {DatabaseNames.Show(source)} is the same as snapshot {snapshot.ShortId ?? snapshot.Id} (SHA-256 {result.BackupSha256})");
                }
            }
            foreach (var check in checks)
            {
                var result = await new VerifyChecks(Scratch).RunAsync(check, names[check.Database!], stop);
                (result.Passed ? (Action<string>)log.Info : log.Warning)(result.Message);
                results.Add(result);
            }
            stop.ThrowIfCancellationRequested();
            var failed = results.Where(r => !r.Passed).ToList();
            if (failed.Count > 0)
            {
                throw new RunnerFailure(FailureReason.VerificationFailed,
                    $"{failed.Count} of {results.Count} check(s) failed: {string.Join("; ", failed.Select(r => r.Message))}", checks.First(c => c.Name == failed[0].Name).Database)
                { Verification = SoFar() };
            }
            return (restored, SoFar());
        }
        catch (RunnerFailure e) when (e.Verification is null)
        {
            throw new RunnerFailure(e.Reason, e.Message, e.Database, e) { Repository = e.Repository, Verification = SoFar() };
        }
        finally
        {
            foreach (var left in await scratch.DropAllAsync())
            {
                log.Error($"could not drop the scratch database {left}: drop it by hand");
            }
        }
    }

    /// <summary>
    /// The newest confirmed snapshot of each database of the configuration (limited to MYSQL_DATABASES when set),
    /// and every database the configuration has backed up (scratch names must differ from all of them).
    /// </summary>
    private async Task<(IReadOnlyList<ResticSnapshot> Snapshots, IReadOnlyList<string> BackedUp)> SelectAsync(CancellationToken stop)
    {
        var listed = await restic.SnapshotsAsync(stop);
        var configuration = settings.Session.Configuration;
        var ours = listed.Where(s => s.Database is not null && (configuration is null || s.Tag(ResticTags.Configuration) == configuration)).ToList();
        var confirmed = PendingSnapshots.Confirmed(ours, await pending.ListAsync(stop));
        var newest = confirmed
            .GroupBy(s => s.Database!, StringComparer.Ordinal)
            .Select(g => g.OrderByDescending(s => s.Time).First())
            .OrderBy(s => s.Database, StringComparer.Ordinal)
            .ToList();
        var of = configuration is null ? "the repository" : $"configuration '{configuration}'";
        var wanted = settings.Database.Databases;
        if (wanted.Count > 0)
        {
            var missing = wanted.Where(d => newest.All(s => s.Database != d)).ToList();
            if (missing.Count > 0)
            {
                throw new RunnerFailure(FailureReason.SnapshotNotFound,
                    $"{of} has no confirmed snapshot of {string.Join(", ", missing.Select(DatabaseNames.Show))} yet: run a backup first, or fix MYSQL_DATABASES; nothing was restored", missing[0]);
            }
            newest = newest.Where(s => wanted.Contains(s.Database!)).ToList();
        }
        if (newest.Count == 0)
        {
            var unconfirmed = ours.Count > 0 ? $" ({ours.Count} snapshot(s) of it were never confirmed by their backup run)" : "";
            throw new RunnerFailure(FailureReason.SnapshotNotFound,
                $"{of} has no confirmed snapshot yet{unconfirmed}: run a backup first; nothing was restored");
        }
        var backedUp = ours.Select(s => s.Database!).Concat(wanted).Distinct(StringComparer.Ordinal).ToList();
        return (newest, backedUp);
    }

    /// <summary>The scratch name of each database, refused when it could touch data that is not the run's own.</summary>
    private async Task<IReadOnlyDictionary<string, string>> PlanAsync(
        MySqlServer server, IReadOnlyList<ResticSnapshot> snapshots, IReadOnlyList<string> backedUp, CancellationToken stop)
    {
        var names = snapshots.ToDictionary(
            s => s.Database!,
            s => ScratchNames.For(settings.Verify.DatabasePrefix, s.Database!, settings.Session.Namespace, settings.Session.Name ?? ""),
            StringComparer.Ordinal);
        var comparer = await server.NameComparerAsync(stop);
        var existing = await server.ListDatabasesAsync(stop);
        foreach (var (source, scratch) in names)
        {
            if (DatabaseNames.Problem(scratch) is { } problem)
            {
                throw new RunnerFailure(FailureReason.InvalidSettings,
                    $"the scratch name {DatabaseNames.Show(scratch)} for {DatabaseNames.Show(source)} is not a database name ({problem}): change VERIFY_DATABASE_PREFIX", source);
            }
            if (OnSourceServer && backedUp.Contains(scratch, comparer))
            {
                throw new RunnerFailure(FailureReason.InvalidSettings,
                    $"the scratch name {DatabaseNames.Show(scratch)} for {DatabaseNames.Show(source)} is a database this configuration backs up on {Endpoint}: change VERIFY_DATABASE_PREFIX; nothing was touched", source);
            }
            if (existing.Contains(scratch, comparer))
            {
                throw new RunnerFailure(FailureReason.InvalidSettings,
                    $"the scratch database {DatabaseNames.Show(scratch)} for {DatabaseNames.Show(source)} already exists on {Endpoint}: a verify run never overwrites a database; drop it if it is a leftover, or change VERIFY_DATABASE_PREFIX; nothing was touched", source);
            }
            if (names.Values.Count(n => comparer.Equals(n, scratch)) > 1)
            {
                throw new RunnerFailure(FailureReason.InvalidSettings,
                    $"two databases get the same scratch name {DatabaseNames.Show(scratch)} on {Endpoint}: change VERIFY_DATABASE_PREFIX", source);
            }
        }
        return names;
    }
}
