using CliWrap;
using Serverless.Backup.Core;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Database;
using Serverless.Backup.Runner.Processes;
using Serverless.Backup.Runner.Restic;

namespace Serverless.Backup.Runner.Verify;

/// <summary>
/// The proof that a restored copy holds what was backed up: the snapshot's stream (restic dump) and the scratch
/// database dumped again with the backup's options pass through the same <see cref="DumpNormalizer"/>; equal
/// hashes mean equal dumps, line for line, apart from the lines that name the database or the server.
/// </summary>
public sealed class DumpProof(ResticClient restic, MySqlTools scratchTools)
{
    /// <summary>Hashes the snapshot's stream as stored.</summary>
    public async Task<DumpNormalizer> OfSnapshotAsync(ResticSnapshot snapshot, CancellationToken stop)
    {
        var normalizer = new DumpNormalizer();
        var errors = new OutputTail();
        var command = restic.Command(["dump", "--no-lock", snapshot.Id, snapshot.FileName])
            .WithStandardOutputPipe(PipeTarget.Create(normalizer.ConsumeAsync))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(errors.Add));
        var result = await RunAsync(command, stop);
        normalizer.Complete();
        if (result != 0)
        {
            throw restic.Failure($"dump snapshot {snapshot.ShortId ?? snapshot.Id} (to hash it) from", errors, snapshot.Database);
        }
        if (!normalizer.EndsWithCompletionTrailer)
        {
            throw new RunnerFailure(FailureReason.DumpTruncated,
                $"snapshot {snapshot.ShortId ?? snapshot.Id} of {DatabaseNames.Show(snapshot.Database)} does not end with mysqldump's completion trailer: it holds a truncated dump; back up again", snapshot.Database);
        }
        return normalizer;
    }

    /// <summary>Hashes the scratch database dumped with the options the backup used.</summary>
    public async Task<DumpNormalizer> OfScratchAsync(string source, string scratch, CancellationToken stop)
    {
        var normalizer = new DumpNormalizer();
        var errors = new OutputTail();
        var command = Cli.Wrap(scratchTools.DumpPath)
            .WithArguments(scratchTools.DumpArguments(scratch))
            .WithEnvironmentVariables(ChildEnvironment.With())
            .WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(PipeTarget.Create(normalizer.ConsumeAsync))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(errors.Add));
        var result = await RunAsync(command, stop);
        normalizer.Complete();
        if (result != 0 || !normalizer.EndsWithCompletionTrailer)
        {
            throw new RunnerFailure(FailureReason.DumpFailed,
                $"{Path.GetFileName(scratchTools.DumpPath)} of the scratch database {DatabaseNames.Show(scratch)} exited {result} ({errors}): the restored copy of {DatabaseNames.Show(source)} could not be read back", source);
        }
        return normalizer;
    }

    private static async Task<int> RunAsync(Command command, CancellationToken stop)
    {
        // A SIGTERM interrupts the child (restic removes nothing here: --no-lock), then kills it after a moment.
        using var forceful = new CancellationTokenSource();
        await using var escalate = stop.Register(() => forceful.CancelAfter(TimeSpan.FromSeconds(5)));
        try
        {
            return (await ChildProcesses.ExecuteAsync(command, forceful.Token, stop)).ExitCode;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            stop.ThrowIfCancellationRequested();
            throw;
        }
    }
}
