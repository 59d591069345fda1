using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Runner.Tests.Pipeline;

[Collection(RunnerCollection.Name)]
public sealed class SignalAndSecretTests(RunnerFixture fixture)
{
    private MariaDbServer Db => fixture.Database;

    /// <summary>A mariadb-dump that sends 200 kB, then stalls, so a test can act while data is in flight.</summary>
    internal static string SlowDumpFolder()
    {
        var bin = TestEnvironment.TempFolder("bin");
        var script = Path.Combine(bin, "mariadb-dump");
        File.WriteAllText(script, "#!/bin/bash\n/usr/bin/mariadb-dump \"$@\" > >(head -c 200000; sleep 60; cat >/dev/null)\nwait\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return bin;
    }

    [Fact]
    public async Task SIGTERM_mid_backup_stops_the_dump_leaves_no_snapshot_and_no_lock()
    {
        var repository = TestEnvironment.TempFolder("repo");
        await SampleDatabase.CreateAsync(Db, "sigterm_db", extraRows: 20000);
        var settings = fixture.Settings("sigterm", repository, "sigterm_db");
        await using var runner = RunnerProcess.Start("backup", EnvContract.ToEnvironment(settings), SlowDumpFolder());

        await runner.WaitForEventAsync(e => e is ProgressEvent { BytesDone: >= 200000 }, TimeSpan.FromSeconds(60));
        runner.Signal(15);
        var result = await runner.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(143, result.ExitCode);
        Assert.Equal(FailureReason.Cancelled, result.Failed?.Reason);
        Assert.Empty(await ResticRepository.LocksAsync(repository, RunnerFixture.RepositoryPassword));
        Assert.Empty(await ResticRepository.SnapshotsAsync(repository, RunnerFixture.RepositoryPassword));
        // The next backup works straight away.
        var next = await RunnerProcess.RunAsync("backup", fixture.Settings("sigterm-next", repository, "sigterm_db"));
        Assert.True(next.ExitCode == 0, next.ToString());
    }

    [Fact]
    public async Task Secrets_never_appear_in_any_process_arguments_or_output()
    {
        var repository = TestEnvironment.TempFolder("repo");
        await SampleDatabase.CreateAsync(Db, "secret_db", extraRows: 20000);
        var settings = fixture.Settings("secrets", repository, "secret_db");
        settings = settings with { Reporting = settings.Reporting with { WebhookUrl = null } };
        string[] secrets = [MariaDbServer.Password, RunnerFixture.RepositoryPassword];
        await using var runner = RunnerProcess.Start("backup", EnvContract.ToEnvironment(settings), SlowDumpFolder());

        await runner.WaitForEventAsync(e => e is ProgressEvent { BytesDone: >= 200000 }, TimeSpan.FromSeconds(60));
        var commandLines = ProcessTree.Of(runner.Pid).Select(ProcessTree.CommandLine).ToList();
        runner.Signal(15);
        var result = await runner.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Contains(commandLines, c => c.Contains("restic backup --stdin"));
        Assert.Contains(commandLines, c => c.Contains("mariadb-dump"));
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(commandLines, c => c.Contains(secret));
            Assert.DoesNotContain(secret, result.Stdout);
            Assert.DoesNotContain(secret, result.Stderr);
        }
    }
}
