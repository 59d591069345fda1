using System.Diagnostics;
using System.Text.Json;
using CliWrap;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Database;
using Serverless.Backup.Runner.Processes;
using Serverless.Backup.Runner.Reporting;
using Serverless.Backup.Runner.Restic;
using Serverless.Backup.Runner.Streaming;

namespace Serverless.Backup.Runner.Backup;

/// <summary>
/// Streams each database's dump into its own restic snapshot: mysqldump -> the runner (count, SHA-256, trailer)
/// -> restic backup --stdin. restic 0.14 saves whatever reached its stdin when the input ends, so the runner closes
/// restic's stdin only after the dump exited 0 and ended with its completion trailer; otherwise it interrupts
/// restic (SIGINT: exit 130, nothing saved, lock removed) while the input is still open, and as a second line of
/// defence forgets any snapshot of the session's database that got written anyway.
/// </summary>
public sealed class BackupRun(
    SessionSettings session, MySqlServer server, MySqlTools tools, ResticClient restic, Reporter reporter, TextWriter log)
{
    /// <summary>How long restic may take to stop after SIGINT before it is killed.</summary>
    private static readonly TimeSpan InterruptGrace = TimeSpan.FromSeconds(30);

    public string Host => $"{session.Namespace}.{session.Configuration ?? "adhoc"}";

    public async Task<IReadOnlyList<DatabaseResult>> RunAsync(IReadOnlyList<string> databases, CancellationToken stop)
    {
        var results = new List<DatabaseResult>();
        foreach (var database in databases)
        {
            results.Add(await BackupDatabaseAsync(database, stop));
        }
        return results;
    }

    private async Task<DatabaseResult> BackupDatabaseAsync(string database, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        var (characterSet, collation) = await server.GetDefaultsAsync(database, stop);
        var tool = Path.GetFileName(tools.DumpPath);
        using var meter = new SqlStreamMeter(database, reporter);
        var dumpErrors = new OutputTail();
        var resticErrors = new OutputTail();
        ResticSummary? summary = null;
        int? dumpExitCode = null;
        Exception? pipeError = null;

        // interrupt: SIGINT to restic (graceful); forceful: kill, a grace period after an interrupt.
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(stop);
        using var forceful = new CancellationTokenSource();
        await using var escalate = interrupt.Token.Register(() => forceful.CancelAfter(InterruptGrace));

        var dump = Cli.Wrap(tools.DumpPath)
            .WithArguments(tools.DumpArguments(database))
            .WithEnvironmentVariables(ChildEnvironment.With())
            .WithStandardErrorPipe(PipeTarget.ToDelegate(dumpErrors.Add))
            .WithValidation(CommandResultValidation.None);

        var backup = restic.Command(
            [
                "backup", "--stdin", "--stdin-filename", $"{database}.sql", "--json", "--host", Host,
                "--tag", ResticTags.Of(ResticTags.Session, session.Name!),
                "--tag", ResticTags.Of(ResticTags.Namespace, session.Namespace),
                "--tag", ResticTags.Of(ResticTags.Configuration, session.Configuration ?? "adhoc"),
                "--tag", ResticTags.Of(ResticTags.Database, database),
                "--tag", ResticTags.Of(ResticTags.CharacterSet, characterSet),
                "--tag", ResticTags.Of(ResticTags.Collation, collation),
            ])
            .WithStandardInputPipe(PipeSource.Create(async (stdin, stdinClosed) =>
            {
                using var killDump = CancellationTokenSource.CreateLinkedTokenSource(stdinClosed, stop);
                var complete = false;
                try
                {
                    var result = await dump
                        .WithStandardOutputPipe(PipeTarget.Create(async (stdout, token) =>
                        {
                            try
                            {
                                await meter.CopyAsync(stdout, stdin, token);
                            }
                            catch
                            {
                                // restic stopped reading: stop the dump instead of leaving it blocked on a full pipe.
                                await killDump.CancelAsync();
                                throw;
                            }
                        }))
                        .ExecuteAsync(killDump.Token);
                    dumpExitCode = result.ExitCode;
                    complete = result.ExitCode == 0 && meter.EndsWithCompletionTrailer;
                }
                catch (Exception e)
                {
                    pipeError = e;
                }
                if (!complete)
                {
                    // Never let restic see the end of a partial stream: interrupt it and hold stdin open until it exits.
                    await interrupt.CancelAsync();
                    await Task.Delay(Timeout.Infinite, stdinClosed);
                }
            }))
            .WithStandardOutputPipe(PipeTarget.ToDelegate(line =>
            {
                if (line.Contains("\"summary\"", StringComparison.Ordinal))
                {
                    summary = JsonSerializer.Deserialize<ResticSummary>(line);
                }
            }))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(resticErrors.Add));

        int? resticExitCode = null;
        try
        {
            resticExitCode = (await backup.ExecuteAsync(forceful.Token, interrupt.Token)).ExitCode;
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            // Interrupted on purpose (failed dump) or stopped (SIGTERM): decided below.
        }

        var failure = Classify(database, tool, meter, dumpExitCode, pipeError, resticExitCode, resticErrors, dumpErrors, stop);
        if (failure is not null || summary?.SnapshotId is null)
        {
            // When restic itself failed it saved nothing (and listing would fail the same way); otherwise check.
            if (summary?.SnapshotId is not null || failure?.Reason is not (FailureReason.RepositoryError or FailureReason.RepositoryPasswordWrong))
            {
                await ForgetPartialAsync(database, summary?.SnapshotId);
            }
            stop.ThrowIfCancellationRequested();
            throw failure ?? new RunnerFailure(FailureReason.RepositoryError,
                $"restic reported no snapshot for '{database}': {resticErrors}", database);
        }

        await log.WriteLineAsync($"backed up '{database}': {meter.Bytes} bytes, snapshot {summary.SnapshotId}, {summary.DataAdded} bytes added");
        return new DatabaseResult
        {
            Database = database,
            SnapshotId = summary.SnapshotId,
            Bytes = meter.Bytes,
            Sha256 = meter.Sha256,
            DataAdded = summary.DataAdded,
            DurationSeconds = Math.Round(clock.Elapsed.TotalSeconds, 3),
        };
    }

    private RunnerFailure? Classify(
        string database, string tool, SqlStreamMeter meter, int? dumpExitCode, Exception? pipeError,
        int? resticExitCode, OutputTail resticErrors, OutputTail dumpErrors, CancellationToken stop)
    {
        if (stop.IsCancellationRequested)
        {
            return new RunnerFailure(FailureReason.Cancelled, $"stopped while backing up '{database}'", database);
        }
        // restic failed on its own (not interrupted by us): its error explains the rest.
        if (resticExitCode is { } code && code != 0 && code != 130)
        {
            return restic.Failure("back up to", resticErrors, database);
        }
        if (dumpExitCode is null || pipeError is not null)
        {
            return new RunnerFailure(FailureReason.DumpFailed,
                $"the dump of '{database}' broke off after {meter.Bytes} bytes ({pipeError?.Message ?? "no exit code"}); restic: {resticErrors}; nothing was kept", database, pipeError);
        }
        if (dumpExitCode != 0)
        {
            return new RunnerFailure(FailureReason.DumpFailed,
                $"{tool} exited {dumpExitCode} while dumping '{database}' after {meter.Bytes} bytes: {dumpErrors}; nothing was kept (check the user's privileges: it needs SELECT, SHOW VIEW, TRIGGER, EVENT and LOCK TABLES)", database);
        }
        if (!meter.EndsWithCompletionTrailer)
        {
            return new RunnerFailure(FailureReason.DumpTruncated,
                $"the dump of '{database}' ended after {meter.Bytes} bytes without {tool}'s completion trailer ('{MySqlTools.CompletionTrailer}'): it is incomplete and nothing was kept", database);
        }
        return null;
    }

    /// <summary>Removes any snapshot this session wrote for the database: after a failure it can only hold a partial stream.</summary>
    private async Task ForgetPartialAsync(string database, string? reported)
    {
        try
        {
            var ids = new HashSet<string>(StringComparer.Ordinal);
            if (reported is not null)
            {
                ids.Add(reported);
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            foreach (var snapshot in await restic.SnapshotsAsync(timeout.Token))
            {
                if (snapshot.Tag(ResticTags.Session) == session.Name && snapshot.Database == database)
                {
                    ids.Add(snapshot.Id);
                }
            }
            await restic.ForgetAsync(ids, timeout.Token);
        }
        catch (Exception e) when (e is RunnerFailure or OperationCanceledException or IOException)
        {
            await log.WriteLineAsync($"warning: could not check for a partial snapshot of '{database}': {e.Message}");
        }
    }
}
