using System.Diagnostics;
using CliWrap;
using CliWrap.Buffered;
using System.Text;
using System.Text.Json;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Testing;
using Xunit.Abstractions;

namespace Serverless.Backup.Runner.Tests.Pipeline;

/// <summary>
/// The runner as a plain process (folder mode, or a container whose PID 1 is a shell), SIGKILLed alone as the OOM
/// killer does: its children die with it, no snapshot of a cut stream ever counts, and its password is on no disk.
/// </summary>
[Collection(RunnerCollection.Name)]
public sealed class KillTests(RunnerFixture fixture, ITestOutputHelper output)
{
    private const int Kills = 16;

    /// <summary>A part of the test database's password that its option file would hold however it is quoted.</summary>
    private const string PasswordPart = "backup-pw 'quoted";

    private MariaDbServer Db => fixture.Database;

    [Fact]
    public async Task A_runner_SIGKILLed_alone_at_random_moments_leaves_no_live_child_no_password_file_and_no_snapshot_of_a_cut_dump_that_counts()
    {
        var repository = TestEnvironment.TempFolder("repo");
        var temp = TestEnvironment.TempFolder("runner-tmp");
        await SampleDatabase.CreateAsync(Db, "kill_db", extraRows: 150000);
        var seed = Environment.TickCount;
        var random = new Random(seed);
        string Context(int i) => $"seed {seed}, kill {i}";

        // Two whole backups (the first initialises the repository): how long a run and its stream take, and how
        // many bytes a complete dump has.
        var first = await RunAsync("backup", fixture.Settings("kill-whole-1", repository, "kill_db"), temp);
        Assert.True(first.ExitCode == 0, first.ToString());
        var clock = Stopwatch.StartNew();
        var whole = await RunAsync("backup", fixture.Settings("kill-whole-2", repository, "kill_db"), temp);
        var runTime = clock.Elapsed;
        Assert.True(whole.ExitCode == 0, whole.ToString());
        var fullSize = whole.Succeeded!.Databases[0].Bytes;
        var streamTime = TimeSpan.FromSeconds(whole.Succeeded.Databases[0].DurationSeconds);
        output.WriteLine($"{Context(0)}: a whole backup takes {runTime.TotalSeconds:0.0} s, its stream {streamTime.TotalSeconds:0.0} s, and dumps {fullSize} bytes");

        var snapshotFiles = Directory.GetFiles(Path.Combine(repository, "snapshots")).Length;
        for (var i = 1; i <= Kills; i++)
        {
            var settings = fixture.Settings($"kill-{i}", repository, "kill_db");
            await using var runner = RunnerProcess.Start("backup", WithTemp(settings, temp));
            if (i % 2 == 1)
            {
                // Anywhere in the run, from the runner's start to its end.
                await Task.Delay(TimeSpan.FromSeconds(random.NextDouble() * runTime.TotalSeconds));
            }
            else
            {
                // Anywhere in the stream, where an orphaned restic would save a cut dump.
                await WaitForAsync(() => ProcessTree.Of(runner.Pid).Any(p => ProcessTree.CommandLine(p).Contains("restic backup", StringComparison.Ordinal)), TimeSpan.FromSeconds(30));
                await Task.Delay(TimeSpan.FromSeconds(random.NextDouble() * streamTime.TotalSeconds));
            }
            var tree = ProcessTree.Of(runner.Pid);
            var children = tree.Skip(1).Select(pid => $"{pid} {ProcessTree.CommandLine(pid)}").ToList();
            runner.Signal(9);
            await runner.WaitForExitAsync(TimeSpan.FromSeconds(10));
            output.WriteLine($"{Context(i)}: killed with {children.Count} child(ren): {string.Join("; ", children)}");

            // Every child dies with the runner.
            await WaitForAsync(() => !tree.Any(ProcessTree.IsAlive), TimeSpan.FromSeconds(5));
            Assert.True(!tree.Any(ProcessTree.IsAlive),
                $"{Context(i)}: alive after the runner's SIGKILL: {string.Join("; ", tree.Where(ProcessTree.IsAlive).Select(p => $"{p} {ProcessTree.CommandLine(p)}"))}");
            // No file anywhere under the runner's temp folder holds the password.
            Assert.Empty(FilesHolding(temp, PasswordPart));

            // A snapshot written since the last look holds the whole dump, or it does not count.
            var now = Directory.GetFiles(Path.Combine(repository, "snapshots")).Length;
            if (now > snapshotFiles)
            {
                foreach (var (id, size) in await SnapshotSizesAsync(repository))
                {
                    if (size != fullSize)
                    {
                        var restore = await RunAsync("restore", settings with { Restore = new() { Snapshots = [id] } }, temp);
                        Assert.True(restore.Failed?.Reason == FailureReason.SnapshotNotFound,
                            $"{Context(i)}: snapshot {id} holds {size} of {fullSize} bytes and counts: {restore}");
                    }
                }
            }
            snapshotFiles = now;
        }

        // The next run removes what the killed ones left: their unconfirmed snapshots, their records, their temp folders.
        var unlock = await RunAsync("unlock", fixture.Settings("kill-after", repository, "kill_db"), temp);
        Assert.True(unlock.ExitCode == 0, unlock.ToString());
        var sizes = await SnapshotSizesAsync(repository);
        Assert.All(sizes, s => Assert.Equal(fullSize, s.Size));
        Assert.Equal(sizes.Count, unlock.Succeeded!.Repository!.SnapshotCount);
        var left = Directory.EnumerateFiles(repository, "*", SearchOption.AllDirectories).Where(f => f.Contains("backup-runner", StringComparison.Ordinal)).ToList();
        Assert.True(left.Count == 0, $"seed {seed}: left after unlock: {string.Join(", ", left.Select(f => Path.GetRelativePath(repository, f)))}\n{unlock}");
        Assert.Empty(Directory.EnumerateDirectories(temp, "backup-runner-*"));
        output.WriteLine($"after {Kills} kills: {sizes.Count} complete snapshot(s), all counted, nothing else left");
    }

    [Fact]
    public async Task A_cut_dump_saved_by_a_restic_that_outlived_its_runner_is_never_restored_or_counted_and_a_later_exclusive_run_removes_it()
    {
        var repository = TestEnvironment.TempFolder("repo");
        await SampleDatabase.CreateAsync(Db, "orphan_db", extraRows: 20000);
        RunnerSettings For(string session, bool exclusive = false)
        {
            var settings = fixture.Settings(session, repository, "orphan_db");
            return settings with { Session = settings.Session with { Configuration = "cfg-orphan" }, Maintenance = new() { Exclusive = exclusive } };
        }
        var good = await RunnerProcess.RunAsync("backup", For("orphan-good"));
        Assert.True(good.ExitCode == 0, good.ToString());
        var goodId = good.Succeeded!.Databases[0].SnapshotId;

        // A backup killed in the middle of its stream, whose restic (where children cannot be tied to the runner)
        // outlives it and saves the cut stream, as restic 0.14 does at the end of its input.
        await using (var runner = RunnerProcess.Start("backup", EnvContract.ToEnvironment(For("orphan-killed")), SignalAndSecretTests.SlowDumpFolder()))
        {
            await runner.WaitForEventAsync(e => e is ProgressEvent { BytesDone: >= 200000 }, TimeSpan.FromSeconds(60));
            runner.Signal(9);
            await runner.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }
        var orphanId = await SaveCutDumpAsync(repository, "orphan-killed", "cfg-orphan", "orphan_db");
        // Its runner ran in another pod, as far as later runs can tell: it may still be live.
        var record = Assert.Single(Directory.GetFiles(Path.Combine(repository, "backup-runner", "pending")));
        var json = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(record))!;
        json["host"] = "another-pod";
        await File.WriteAllTextAsync(record, json.ToJsonString());
        // A record no one can read covers nothing.
        await File.WriteAllTextAsync(Path.Combine(repository, "backup-runner", "pending", "garbage.json"), "not json");

        var latest = await RunnerProcess.RunAsync("restore", For("orphan-restore") with { Restore = new() { Rename = new Dictionary<string, string> { ["orphan_db"] = "orphan_db_copy" } } });
        var byId = await RunnerProcess.RunAsync("restore", For("orphan-restore") with { Restore = new() { Snapshots = [orphanId[..8]] } });
        var bySession = await RunnerProcess.RunAsync("restore", For("orphan-restore") with { Restore = new() { FromSession = "orphan-killed" } });
        var forget = await RunnerProcess.RunAsync("forget", For("orphan-forget") with { Retention = new() { KeepLast = 1 } });
        var next = await RunnerProcess.RunAsync("backup", For("orphan-next"));

        Assert.True(latest.ExitCode == 0, latest.ToString());
        Assert.StartsWith(goodId, latest.Succeeded!.Databases[0].SnapshotId, StringComparison.Ordinal);
        Assert.Equal(FailureReason.SnapshotNotFound, byId.Failed?.Reason);
        Assert.Contains("never confirmed", byId.Failed!.Message);
        Assert.Equal(FailureReason.SnapshotNotFound, bySession.Failed?.Reason);
        Assert.Contains("never confirmed", bySession.Failed!.Message);
        // Retention would count the cut dump as one to keep and remove a good snapshot for it: it waits.
        Assert.Equal(FailureReason.RepositoryLocked, forget.Failed?.Reason);
        Assert.Contains(orphanId[..8], forget.Failed!.Message);
        Assert.Contains("REPOSITORY_EXCLUSIVE", forget.Failed.Message);
        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Equal(2, next.Succeeded!.Repository!.SnapshotCount);
        Assert.DoesNotContain(next.Succeeded.Repository.RecentSnapshots, s => s.Session == "orphan-killed");
        Assert.Contains("garbage.json", next.Stderr);
        Assert.Equal(3, (await ResticRepository.SnapshotsAsync(repository, RunnerFixture.RepositoryPassword)).Count);

        // No other session is active: the cut dump and the records go, and everything left counts.
        var unlock = await RunnerProcess.RunAsync("unlock", For("orphan-unlock", exclusive: true));

        Assert.True(unlock.ExitCode == 0, unlock.ToString());
        Assert.Equal(2, unlock.Succeeded!.Repository!.SnapshotCount);
        var left = await ResticRepository.SnapshotsAsync(repository, RunnerFixture.RepositoryPassword);
        Assert.DoesNotContain(left, s => s.GetProperty("id").GetString() == orphanId);
        Assert.Empty(Directory.GetFiles(Path.Combine(repository, "backup-runner", "pending")));
    }

    /// <summary>What an orphaned restic saves: the first part of a dump, tagged as the runner tags its snapshots.</summary>
    private async Task<string> SaveCutDumpAsync(string repository, string session, string configuration, string database)
    {
        var dump = await Cli.Wrap("mariadb-dump")
            .WithArguments(["-h", Db.Host, "-P", Db.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-u", MariaDbServer.User, $"-p{MariaDbServer.Password}", database])
            .ExecuteBufferedAsync();
        var cut = dump.StandardOutput[..(dump.StandardOutput.Length / 2)];
        var saved = await Cli.Wrap("restic")
            .WithArguments([
                "backup", "--stdin", "--stdin-filename", $"{database}.sql", "--json", "--host", $"tests.{configuration}",
                "--tag", $"session={session}", "--tag", "namespace=tests", "--tag", $"config={configuration}", "--tag", $"db={database}",
            ])
            .WithEnvironmentVariables(new Dictionary<string, string?> { ["RESTIC_REPOSITORY"] = repository, ["RESTIC_PASSWORD"] = RunnerFixture.RepositoryPassword })
            .WithStandardInputPipe(PipeSource.FromString(cut))
            .ExecuteBufferedAsync();
        var summary = saved.StandardOutput.Split('\n').Single(l => l.Contains("\"summary\"", StringComparison.Ordinal));
        return JsonDocument.Parse(summary).RootElement.GetProperty("snapshot_id").GetString()!;
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }
    }

    private static IEnumerable<KeyValuePair<string, string>> WithTemp(RunnerSettings settings, string temp) =>
        [.. EnvContract.ToEnvironment(settings), new("TMPDIR", temp)];

    private static async Task<RunnerResult> RunAsync(string verb, RunnerSettings settings, string temp)
    {
        await using var runner = RunnerProcess.Start(verb, WithTemp(settings, temp));
        return await runner.WaitAsync(TimeSpan.FromMinutes(2));
    }

    /// <summary>Every file under the folder whose bytes hold the text.</summary>
    internal static IReadOnlyList<string> FilesHolding(string folder, string text)
    {
        var needle = Encoding.UTF8.GetBytes(text);
        // Only files with content: the runtime's diagnostic FIFOs (size 0) would block a read until a writer comes.
        return Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(file => new FileInfo(file) is { Exists: true, Length: > 0 })
            .Where(file =>
            {
                try
                {
                    return File.ReadAllBytes(file).AsSpan().IndexOf(needle) >= 0;
                }
                catch (IOException)
                {
                    return false; // removed while we looked
                }
            })
            .ToList();
    }

    /// <summary>Each snapshot of a local repository with the size of the dump it holds (one `restic find`).</summary>
    internal static async Task<IReadOnlyList<(string Id, long Size)>> SnapshotSizesAsync(string repository)
    {
        var json = await ResticRepository.Restic(repository, RunnerFixture.RepositoryPassword, "find", "--json", "--no-lock", "*.sql");
        var found = JsonSerializer.Deserialize<List<JsonElement>>(json.Trim() is { Length: > 0 } text ? text : "[]")!;
        var sizes = found.Select(f => (f.GetProperty("snapshot").GetString()!, f.GetProperty("matches")[0].GetProperty("size").GetInt64())).ToList();
        // `find` skips a snapshot whose file it cannot match: every snapshot must be there.
        Assert.Equal((await ResticRepository.SnapshotsAsync(repository, RunnerFixture.RepositoryPassword)).Count, sizes.Count);
        return sizes;
    }
}
