using System.Globalization;
using CliWrap;
using Serverless.Backup.Core;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Database;
using Serverless.Backup.Runner.Processes;
using Serverless.Backup.Runner.Reporting;
using Serverless.Backup.Runner.Restic;

namespace Serverless.Backup.Runner.PointInTime;

/// <summary>
/// Replays one archived binary log into one database, streaming: <c>restic dump &lt;snapshot&gt; /binlog/&lt;file&gt;</c>
/// → the runner (counts bytes) → <c>mariadb-binlog -</c> (mysqlbinlog on MySQL), which reads the log from its stdin,
/// keeps the events of the source database (<c>--database</c>), renames them (<c>--rewrite-db</c>), starts after the
/// dump's position on the first log (<c>--start-position</c>) and stops at the first event of the second after the
/// time (<c>--stop-datetime</c>, read in UTC: the tool runs with TZ=UTC) → the runner, which leaves out the lines
/// that would give the transactions their original GTIDs (<see cref="BinlogReplayFilter"/>) → the mysql client. Nothing of the log is
/// written to a file. mariadb-binlog prints only whole events and ends its output with a ROLLBACK, so a transaction
/// cut by the stop time (or by a broken stream) is never committed.
/// </summary>
public sealed class BinlogReplay(ResticClient restic, MySqlTools tools, Reporter reporter)
{
    private const int BufferSize = 256 * 1024;

    /// <summary>mariadb-binlog, else mysqlbinlog, whichever is on PATH (found as the dump and client tools are).</summary>
    public string ToolPath { get; } = MySqlTools.Find("mariadb-binlog", "mysqlbinlog");

    /// <summary>
    /// Whether the tool applies --database to the renamed name: MySQL's mysqlbinlog does (its documentation: the
    /// rewrite first, then the filter, on the new name); MariaDB's mariadb-binlog compares the name the log holds
    /// (tested on 10.11: --database=new keeps nothing). Asked once, from the tool's --version.
    /// </summary>
    private async Task<bool> FiltersAfterRewriteAsync(CancellationToken cancellationToken)
    {
        if (_filtersAfterRewrite is { } known)
        {
            return known;
        }
        if (Path.GetFileName(ToolPath) == "mariadb-binlog")
        {
            return (_filtersAfterRewrite = false).Value;
        }
        var version = new System.Text.StringBuilder();
        await ChildProcesses.ExecuteAsync(Cli.Wrap(ToolPath).WithArguments(["--no-defaults", "--version"])
            .WithEnvironmentVariables(ChildEnvironment.With())
            .WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(PipeTarget.ToStringBuilder(version)), cancellationToken);
        return (_filtersAfterRewrite = !version.ToString().Contains("MariaDB", StringComparison.OrdinalIgnoreCase)).Value;
    }

    private bool? _filtersAfterRewrite;

    /// <summary>The tool's arguments for one log: the filters, then '-' (the log comes on stdin).</summary>
    public static IReadOnlyList<string> ToolArguments(string source, string target, long? startPosition, DateTimeOffset time, bool filtersAfterRewrite = false)
    {
        var arguments = new List<string>
        {
            // The system's option files (a [mysqlbinlog] group) must not change what is replayed.
            "--no-defaults",
            // Events of the chosen second are included: the tool stops at the first event at or after the next second.
            "--stop-datetime=" + time.ToUniversalTime().AddSeconds(1).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
            // MariaDB's mariadb-binlog compares --database with the name before --rewrite-db renames it (tested);
            // MySQL's mysqlbinlog with the name after it.
            "--database=" + (filtersAfterRewrite ? target : source),
        };
        if (startPosition is { } position)
        {
            arguments.Add("--start-position=" + position.ToString(CultureInfo.InvariantCulture));
        }
        if (target != source)
        {
            arguments.Add($"--rewrite-db={source}->{target}");
        }
        arguments.Add("-");
        return arguments;
    }

    /// <summary>
    /// Replays <paramref name="log"/> into <paramref name="target"/>; returns the bytes of the log read from the
    /// repository. Any of the three programs failing is a <see cref="RunnerFailure"/> naming the log and its error.
    /// </summary>
    public async Task<long> ReplayAsync(
        ArchivedBinlog log, string source, string target, long? startPosition, DateTimeOffset time, long bytesBefore, CancellationToken stop)
    {
        var tool = Path.GetFileName(ToolPath);
        var client = Path.GetFileName(tools.ClientPath);
        var resticErrors = new OutputTail();
        var toolErrors = new OutputTail();
        var clientErrors = new OutputTail();
        int? resticExit = null, toolExit = null, clientExit = null;
        Exception? resticError = null, toolError = null, clientError = null;
        long bytes = 0;

        using var work = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var dump = restic.Command(["dump", "--no-lock", log.SnapshotId, BinlogCatalog.PathOf(log.File)])
            .WithStandardErrorPipe(PipeTarget.ToDelegate(resticErrors.Add));
        var read = Cli.Wrap(ToolPath)
            .WithArguments(ToolArguments(source, target, startPosition, time, target != source && await FiltersAfterRewriteAsync(stop)))
            .WithEnvironmentVariables(ChildEnvironment.With(("TZ", "UTC")))
            .WithValidation(CommandResultValidation.None)
            .WithStandardErrorPipe(PipeTarget.ToDelegate(toolErrors.Add));
        var apply = Cli.Wrap(tools.ClientPath)
            .WithArguments(tools.ClientArguments(target))
            .WithEnvironmentVariables(ChildEnvironment.With())
            .WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(PipeTarget.Null)
            .WithStandardErrorPipe(PipeTarget.ToDelegate(clientErrors.Add));

        apply = apply.WithStandardInputPipe(PipeSource.Create(async (clientStdin, clientGone) =>
        {
            using var toolWork = CancellationTokenSource.CreateLinkedTokenSource(work.Token, clientGone);
            var reading = read
                .WithStandardInputPipe(PipeSource.Create(async (toolStdin, toolGone) =>
                {
                    using var resticWork = CancellationTokenSource.CreateLinkedTokenSource(toolWork.Token, toolGone);
                    try
                    {
                        resticExit = (await ChildProcesses.ExecuteAsync(dump.WithStandardOutputPipe(PipeTarget.Create(async (stdout, token) =>
                        {
                            try
                            {
                                var buffer = new byte[BufferSize];
                                int n;
                                while ((n = await stdout.ReadAsync(buffer, token)) > 0)
                                {
                                    await toolStdin.WriteAsync(buffer.AsMemory(0, n), token);
                                    bytes += n;
                                    reporter.Advance(source, bytesBefore + bytes, n);
                                }
                            }
                            catch
                            {
                                // The tool stopped reading: stop restic rather than leave it blocked on a full pipe.
                                await resticWork.CancelAsync();
                                throw;
                            }
                        })), resticWork.Token)).ExitCode;
                    }
                    catch (Exception e)
                    {
                        resticError = e;
                    }
                }))
                .WithStandardOutputPipe(PipeTarget.Create(async (toolOut, token) =>
                {
                    try
                    {
                        await BinlogReplayFilter.CopyAsync(toolOut, clientStdin, token);
                    }
                    catch
                    {
                        // The client stopped reading (it failed): stop the tool rather than leave it blocked on a full pipe.
                        await toolWork.CancelAsync();
                        throw;
                    }
                }));
            try
            {
                toolExit = (await ChildProcesses.ExecuteAsync(reading, toolWork.Token)).ExitCode;
            }
            catch (Exception e)
            {
                toolError = e;
            }
        }));
        try
        {
            clientExit = (await ChildProcesses.ExecuteAsync(apply, work.Token)).ExitCode;
        }
        catch (Exception e)
        {
            clientError = e;
        }

        stop.ThrowIfCancellationRequested();
        var what = $"replaying binary log {log.File} (snapshot {Short(log.SnapshotId)}) into {DatabaseNames.Show(target)}";
        if (clientExit is { } c && c != 0)
        {
            throw new RunnerFailure(FailureReason.RestoreFailed, $"{client} exited {c} while {what}: {clientErrors}", source);
        }
        if (resticExit is { } r && r != 0)
        {
            throw restic.Failure($"dump binary log {log.File} (snapshot {Short(log.SnapshotId)}) from", resticErrors, source);
        }
        if (toolExit is { } t && t != 0)
        {
            throw new RunnerFailure(FailureReason.RestoreFailed, $"{tool} exited {t} while {what}: {toolErrors}", source);
        }
        if (clientExit is null || toolExit is null || resticExit is null || resticError is not null || toolError is not null || clientError is not null)
        {
            var error = resticError ?? toolError ?? clientError;
            throw new RunnerFailure(FailureReason.RestoreFailed,
                $"{what} broke off after {bytes} bytes of the log ({error?.Message ?? "a program did not finish"}): {client}: {clientErrors}; {tool}: {toolErrors}; restic: {resticErrors}", source, error);
        }
        return bytes;
    }

    private static string Short(string id) => id.Length > 8 ? id[..8] : id;
}
