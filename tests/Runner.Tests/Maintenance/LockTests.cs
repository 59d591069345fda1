using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Storage;
using Serverless.Backup.Runner.Tests.Pipeline;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Runner.Tests.Maintenance;

/// <summary>A crashed or killed runner never blocks later work; a live session's lock is never taken away from it.</summary>
[Collection(RunnerCollection.Name)]
public sealed class LockTests(RunnerFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private static RunnerSettings Exclusive(RunnerSettings settings, bool exclusive) =>
        settings with { Maintenance = settings.Maintenance with { Exclusive = exclusive } };

    /// <summary>
    /// Progress counts bytes handed to restic, and its 1 MiB stdin pipe takes them before restic has opened the
    /// repository: wait until restic's lock is there.
    /// </summary>
    private static async Task WaitForLockAsync(string repository)
    {
        var locks = Path.Combine(repository, "locks");
        for (var i = 0; i < 300 && !(Directory.Exists(locks) && Directory.EnumerateFiles(locks).Any()); i++)
        {
            await Task.Delay(100);
        }
        Assert.True(Directory.Exists(locks) && Directory.EnumerateFiles(locks).Any(), "the backup's restic took no lock within 30 s");
    }

    /// <summary>
    /// Waits until the runner's `restic backup` holds its lock: a lock file alone may be a short-lived restic call of
    /// the runner's that ends before the backup's restic has taken its own.
    /// </summary>
    private static async Task WaitForBackupLockAsync(string repository, int runner)
    {
        for (var i = 0; i < 300; i++)
        {
            var backup = ProcessTree.Of(runner).Where(pid => ProcessTree.CommandLine(pid).Contains("restic backup --stdin", StringComparison.Ordinal)).ToList();
            if (backup.Count > 0 && (await ResticRepository.LockHoldersAsync(repository, RunnerFixture.RepositoryPassword)).Intersect(backup).Any())
            {
                return;
            }
            await Task.Delay(100);
        }
        Assert.Fail("the backup's restic took no lock within 30 s");
    }

    [Fact]
    public async Task A_runner_killed_mid_backup_blocks_neither_the_next_backup_nor_a_retention_run()
    {
        var repository = TestEnvironment.TempFolder("repo");
        await SampleDatabase.CreateAsync(fixture.Database, "killed_db", extraRows: 20000);
        var settings = fixture.Settings("killed", repository, "killed_db");
        await using var runner = RunnerProcess.Start("backup", EnvContract.ToEnvironment(settings), SignalAndSecretTests.SlowDumpFolder());
        await runner.WaitForEventAsync(e => e is ProgressEvent { BytesDone: >= 200000 }, TimeSpan.FromSeconds(60));
        await WaitForBackupLockAsync(repository, runner.Pid);

        // SIGKILL the runner and everything it started (restic included), as a node failure or the OOM killer would.
        var tree = ProcessTree.Of(runner.Pid);
        Assert.Contains(tree, pid => ProcessTree.CommandLine(pid).Contains("restic backup --stdin"));
        await ProcessTree.KillAllAsync(tree, TimeSpan.FromSeconds(20));
        Assert.Single(await ResticRepository.LocksAsync(repository, RunnerFixture.RepositoryPassword));

        // The control plane knows no other session is active: the next backup runs exclusive.
        var next = await RunnerProcess.RunAsync("backup", Exclusive(fixture.Settings("killed-next", repository, "killed_db"), true));
        var forget = await RunnerProcess.RunAsync("forget", fixture.Settings("killed-next", repository, "killed_db") with { Retention = new() { KeepLast = 1 } });

        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.True(forget.ExitCode == 0, forget.ToString());
        Assert.Contains("removed 1 lock(s)", next.Stderr);
        Assert.Empty(await ResticRepository.LocksAsync(repository, RunnerFixture.RepositoryPassword));
        var snapshot = Assert.Single(await ResticRepository.SnapshotsAsync(repository, RunnerFixture.RepositoryPassword));
        Assert.Contains("session=killed-next", snapshot.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public async Task The_lock_of_a_killed_restic_that_nobody_reaped_is_removed_by_the_next_run_though_restic_takes_a_zombie_for_alive()
    {
        var repository = TestEnvironment.TempFolder("repo");
        await SampleDatabase.CreateAsync(fixture.Database, "zombie_db");
        var first = await RunnerProcess.RunAsync("backup", fixture.Settings("zombie-first", repository, "zombie_db"));
        Assert.True(first.ExitCode == 0, first.ToString());

        // A restic whose parent never waits for it (the shell becomes `sleep`): killed, it stays a zombie with its lock.
        var start = new System.Diagnostics.ProcessStartInfo("sh") { RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("restic -r \"$REPO\" backup --stdin --stdin-filename zeros </dev/zero >/dev/null 2>&1 & echo $!; exec sleep 120");
        start.Environment["REPO"] = repository;
        start.Environment["RESTIC_PASSWORD"] = RunnerFixture.RepositoryPassword;
        using var parent = System.Diagnostics.Process.Start(start)!;
        try
        {
            var restic = int.Parse((await parent.StandardOutput.ReadLineAsync())!, System.Globalization.CultureInfo.InvariantCulture);
            await WaitForLockAsync(repository);
            await ProcessTree.KillAllAsync([restic], TimeSpan.FromSeconds(10));
            Assert.Contains(") Z ", File.ReadAllText($"/proc/{restic}/stat"));
            Assert.Single(await ResticRepository.LocksAsync(repository, RunnerFixture.RepositoryPassword));

            var unlock = await RunnerProcess.RunAsync("unlock", Exclusive(fixture.Settings("zombie-unlock", repository, "zombie_db"), false));

            Assert.True(unlock.ExitCode == 0, unlock.ToString());
            Assert.Contains($"of restic process {restic} on this host, which has ended", unlock.Stderr);
            Assert.Empty(await ResticRepository.LocksAsync(repository, RunnerFixture.RepositoryPassword));
        }
        finally
        {
            parent.Kill(entireProcessTree: true);
            await parent.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Maintenance_beside_a_live_backup_fails_as_locked_and_a_backup_beside_it_succeeds_with_a_retention_warning()
    {
        var repository = TestEnvironment.TempFolder("repo");
        await SampleDatabase.CreateAsync(fixture.Database, "live_db", extraRows: 20000);
        var live = fixture.Settings("live", repository, "live_db");
        await using var runner = RunnerProcess.Start("backup", EnvContract.ToEnvironment(live), SignalAndSecretTests.SlowDumpFolder());
        await runner.WaitForEventAsync(e => e is ProgressEvent { BytesDone: >= 200000 }, TimeSpan.FromSeconds(60));
        await WaitForBackupLockAsync(repository, runner.Pid);

        var forget = await RunnerProcess.RunAsync("forget", Exclusive(live with { Retention = new() { KeepLast = 1 } }, false));
        var unlock = await RunnerProcess.RunAsync("unlock", Exclusive(live, false));
        // A backup beside it works (backups share the repository); its retention needs the repository alone.
        await SampleDatabase.CreateAsync(fixture.Database, "beside_db");
        var beside = await RunnerProcess.RunAsync("backup", fixture.Settings("beside", repository, "beside_db") with { Retention = new() { KeepLast = 1 } });

        Assert.Equal(14, forget.ExitCode);
        Assert.Equal(FailureReason.RepositoryLocked, forget.Failed?.Reason);
        Assert.Contains("REPOSITORY_EXCLUSIVE", forget.Failed!.Message);
        Assert.True(unlock.ExitCode == 0, unlock.ToString());
        Assert.Contains("1 lock(s) remain", unlock.Succeeded!.Warning);
        Assert.True(beside.ExitCode == 0, beside.ToString());
        Assert.Null(beside.Succeeded!.Retention);
        Assert.Contains("retention policy was not applied", beside.Succeeded.Warning);
        Assert.Contains("REPOSITORY_EXCLUSIVE", beside.Succeeded.Warning);
        Assert.Equal(1, beside.Succeeded.Repository!.SnapshotCount);
        // The live backup still holds its lock and ends normally (SIGTERM: interrupted, nothing kept, lock removed).
        Assert.Single(await ResticRepository.LocksAsync(repository, RunnerFixture.RepositoryPassword));
        runner.Signal(15);
        Assert.Equal(143, (await runner.WaitAsync(TimeSpan.FromSeconds(60))).ExitCode);

        var unlocked = await RunnerProcess.RunAsync("unlock", Exclusive(live, true));
        Assert.True(unlocked.ExitCode == 0, unlocked.ToString());
        Assert.Null(unlocked.Succeeded!.Warning);
        Assert.Equal(1, unlocked.Succeeded.Repository!.SnapshotCount);
    }

    [Fact]
    public async Task A_SIGTERM_at_any_moment_of_an_Azure_backup_ends_with_a_message_that_says_truly_whether_a_lock_was_left()
    {
        await SampleDatabase.CreateAsync(fixture.Database, "sigterm_lock_db", extraRows: 20000);
        var seed = Random.Shared.Next();
        var random = new Random(seed);
        for (var i = 0; i < 6; i++)
        {
            // A container of its own each time: a lock left by one run must not be taken for another's.
            var repository = fixture.Repository("azure", $"sigterm-lock-{i}-{seed:x}");
            var settings = fixture.Settings($"sigterm-lock-{i}", repository, "sigterm_lock_db");
            await using var runner = RunnerProcess.Start("backup", EnvContract.ToEnvironment(settings), SignalAndSecretTests.SlowDumpFolder());
            if (i % 2 == 1)
            {
                // Around the moment restic takes its lock, in the first second of its backup.
                for (var wait = 0; wait < 600 && !ProcessTree.Of(runner.Pid).Any(p => ProcessTree.CommandLine(p).Contains("restic backup", StringComparison.Ordinal)); wait++)
                {
                    await Task.Delay(10);
                }
                await Task.Delay(random.Next(0, 1500));
            }
            else
            {
                await Task.Delay(random.Next(300, 4000));
            }
            runner.Signal(15);
            var result = await runner.WaitAsync(TimeSpan.FromSeconds(60));
            int locks;
            try
            {
                locks = await new AzureBlobObjectStore(repository).ListAsync("locks/", CancellationToken.None).CountAsync();
            }
            catch (Azure.RequestFailedException e) when (e.Status == 404)
            {
                locks = 0; // stopped before it made its container
            }
            var message = result.Failed?.Message ?? "";
            output.WriteLine($"seed {seed}, SIGTERM {i}: {locks} lock(s) left; {message}");

            Assert.True(result.ExitCode == 143, result.ToString());
            Assert.Equal(FailureReason.Cancelled, result.Failed?.Reason);
            Assert.DoesNotContain("lock was removed", message);
            if (message.Contains("left no lock", StringComparison.Ordinal) || message.Contains("before any dump began", StringComparison.Ordinal))
            {
                Assert.True(locks == 0, $"seed {seed}, SIGTERM {i}: the message says no lock was left, and {locks} remain: {message}");
            }
            else
            {
                Assert.True(locks > 0 || message.Contains("could not be checked", StringComparison.Ordinal), $"seed {seed}, SIGTERM {i}: {message}");
            }
        }
    }
}
