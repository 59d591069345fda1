using System.Diagnostics;
using System.Text.Json;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Storage;
using Serverless.Backup.Testing;
using Xunit.Abstractions;

namespace Serverless.Backup.Runner.Tests.Storage;

/// <summary>
/// An object store that fails in the middle of a run, or from its start, ends the run soon with storageUnreachable:
/// a message in our words that names the endpoint and what the store last did, nothing of the dump kept. The faults
/// come from a proxy in front of Azurite and s3rver.
/// </summary>
[Collection(RunnerCollection.Name)]
public sealed class StorageFaultTests(RunnerFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(6);

    /// <summary>How long after the stall timeout the run may take to end: interrupting restic, lock handling, reporting.</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(15);

    private MariaDbServer Db => fixture.Database;

    private (RunnerSettings Settings, FaultProxy Proxy) Through(string backend, string name, string database)
    {
        var repository = fixture.Repository(backend, name);
        var proxy = FaultProxy.Start(backend == "azure" ? fixture.Azurite.Port : fixture.S3.Port);
        repository = backend == "azure"
            ? repository with { AzureEndpoint = proxy.Rewrite(repository.AzureEndpoint!), StallTimeout = StallTimeout }
            : repository with { S3Endpoint = proxy.Rewrite(repository.S3Endpoint!), StallTimeout = StallTimeout };
        return (fixture.Settings(name, repository, database), proxy);
    }

    [Theory]
    [InlineData("azure", StorageFault.Stall, "AZURE_ENDPOINT")]
    [InlineData("azure", StorageFault.Unavailable, "AZURE_ENDPOINT")]
    [InlineData("s3", StorageFault.Down, "S3_ENDPOINT")]
    [InlineData("s3", StorageFault.Reset, "S3_ENDPOINT")]
    public async Task A_store_that_fails_in_the_middle_of_a_backup_ends_it_soon_as_storageUnreachable_and_nothing_of_the_dump_counts(
        string backend, StorageFault fault, string setting)
    {
        var database = $"fault_mid_{backend}_{fault}".ToLowerInvariant();
        await SampleDatabase.CreateAsync(Db, database, extraRows: 40000);
        var (settings, proxy) = Through(backend, $"fault-mid-{backend}-{fault}".ToLowerInvariant(), database);
        await using var _ = proxy;
        var (bin, gate) = GatedDump();
        await using var runner = RunnerProcess.Start("backup", EnvContract.ToEnvironment(settings), bin);

        // Half the dump is in restic, which has not needed the store since it opened the repository: the store
        // fails, then the rest of the dump comes and restic needs the store again.
        await runner.WaitForEventAsync(e => e is ProgressEvent { BytesDone: >= 1_000_000 }, TimeSpan.FromSeconds(60));
        proxy.Fault = fault;
        var clock = Stopwatch.StartNew();
        await File.WriteAllTextAsync(gate, "");
        var result = await runner.WaitAsync(StallTimeout + Slack + TimeSpan.FromSeconds(60));
        output.WriteLine($"{fault}: ended after {clock.Elapsed.TotalSeconds:0.0} s: {result.Failed?.Message}");

        Assert.True(result.Failed?.Reason == FailureReason.StorageUnreachable, result.ToString());
        Assert.Equal(9, result.ExitCode);
        Assert.True(clock.Elapsed < StallTimeout + Slack, $"the run took {clock.Elapsed} after the fault");
        Assert.Contains(setting, result.Failed!.Message);
        Assert.Contains($"127.0.0.1:{proxy.Port}", result.Failed.Message);
        Assert.Contains("STORAGE_STALL_TIMEOUT_SECONDS", result.Failed.Message);
        Assert.DoesNotContain("goroutine", result.Failed.Message);
        AssertStorageErrorsLogged(result);

        // The store is back: nothing of the cut dump counts, and the next backup works.
        proxy.Fault = StorageFault.None;
        var next = await RunnerProcess.RunAsync("backup", settings with { Session = settings.Session with { Name = settings.Session.Name + "-next" } });
        Assert.True(next.ExitCode == 0, next.ToString());
        Assert.Equal(1, next.Succeeded!.Repository!.SnapshotCount);
        Assert.Equal(settings.Session.Name + "-next", Assert.Single(next.Succeeded.Repository.RecentSnapshots).Session);
    }

    [Theory]
    [InlineData("s3", StorageFault.Reset, "S3_ENDPOINT", "reset")]
    [InlineData("s3", StorageFault.Unavailable, "S3_ENDPOINT", "503")]
    [InlineData("azure", StorageFault.Unavailable, "AZURE_ENDPOINT", "503")]
    [InlineData("azure", StorageFault.Reset, "AZURE_ENDPOINT", "reset")]
    [InlineData("azure", StorageFault.Stall, "AZURE_ENDPOINT", "no answer")]
    public async Task A_store_that_fails_from_the_start_fails_the_run_as_storageUnreachable_saying_what_it_answered(
        string backend, StorageFault fault, string setting, string answered)
    {
        await SampleDatabase.CreateAsync(Db, "fault_start_db");
        var (settings, proxy) = Through(backend, $"fault-start-{backend}-{fault}".ToLowerInvariant(), "fault_start_db");
        await using var _ = proxy;
        proxy.Fault = fault;

        var clock = Stopwatch.StartNew();
        var result = await RunnerProcess.RunAsync("backup", settings, timeout: TimeSpan.FromMinutes(2));
        output.WriteLine($"{backend} {fault}: ended after {clock.Elapsed.TotalSeconds:0.0} s: {result.Failed?.Message}");

        Assert.True(result.Failed?.Reason == FailureReason.StorageUnreachable, result.ToString());
        Assert.Equal(9, result.ExitCode);
        Assert.True(clock.Elapsed < ResticRepositoryEndpoint.ConnectTimeout + Slack, $"the run took {clock.Elapsed}");
        Assert.Contains(setting, result.Failed!.Message);
        Assert.Contains($"127.0.0.1:{proxy.Port}", result.Failed.Message);
        Assert.Contains(answered, result.Failed.Message, StringComparison.OrdinalIgnoreCase);
        AssertStorageErrorsLogged(result);
    }

    [Fact]
    public async Task A_store_that_dies_in_the_middle_of_a_restore_ends_it_soon_as_storageUnreachable_saying_the_database_may_be_partly_restored()
    {
        await SampleDatabase.CreateAsync(Db, "fault_restore_db", extraRows: 250000);
        var (settings, proxy) = Through("s3", "fault-restore", "fault_restore_db");
        await using var _ = proxy;
        var backup = await RunnerProcess.RunAsync("backup", settings);
        Assert.True(backup.ExitCode == 0, backup.ToString());

        // A mysql client that applies the first MiB, then waits for the gate: restic has then stopped reading the store.
        var bin = TestEnvironment.TempFolder("bin");
        var gate = Path.Combine(bin, "gate");
        File.WriteAllText(Path.Combine(bin, "mariadb"),
            "#!/bin/bash\n" +
            $"{{ head -c 1048576; while [ ! -e '{gate}' ]; do sleep 0.05; done; cat; }} | /usr/bin/mariadb \"$@\" &\n" +
            // The runner interrupts its client with SIGINT: pass it on, as the real client would get it.
            "client=$!\ntrap 'kill -INT $client' INT\nwait $client; wait $client\n");
        File.SetUnixFileMode(Path.Combine(bin, "mariadb"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var restore = settings with { Restore = new() { FromSession = settings.Session.Name, Rename = new Dictionary<string, string> { ["fault_restore_db"] = "fault_restore_copy" } } };
        await using var runner = RunnerProcess.Start("restore", EnvContract.ToEnvironment(restore), bin);

        await runner.WaitForEventAsync(e => e is ProgressEvent { BytesDone: >= 1_048_576 }, TimeSpan.FromSeconds(60));
        proxy.Fault = StorageFault.Down;
        var clock = Stopwatch.StartNew();
        await File.WriteAllTextAsync(gate, "");
        var result = await runner.WaitAsync(StallTimeout + Slack + TimeSpan.FromSeconds(60));
        output.WriteLine($"restore: ended after {clock.Elapsed.TotalSeconds:0.0} s: {result.Failed?.Message}");

        Assert.True(result.Failed?.Reason == FailureReason.StorageUnreachable, result.ToString());
        Assert.True(clock.Elapsed < StallTimeout + Slack, $"the run took {clock.Elapsed} after the fault");
        Assert.Contains("S3_ENDPOINT", result.Failed!.Message);
        Assert.Contains("partly restored", result.Failed.Message);
    }

    [Fact]
    public async Task A_store_that_stalls_for_less_than_the_stall_timeout_only_delays_the_backup()
    {
        await SampleDatabase.CreateAsync(Db, "fault_brief_db", extraRows: 40000);
        var (settings, proxy) = Through("azure", "fault-brief", "fault_brief_db");
        settings = settings with { Repository = settings.Repository with { StallTimeout = TimeSpan.FromSeconds(30) } };
        await using var _ = proxy;
        var (bin, gate) = GatedDump();
        await using var runner = RunnerProcess.Start("backup", EnvContract.ToEnvironment(settings), bin);

        await runner.WaitForEventAsync(e => e is ProgressEvent { BytesDone: >= 1_000_000 }, TimeSpan.FromSeconds(60));
        proxy.Fault = StorageFault.Stall;
        await File.WriteAllTextAsync(gate, "");
        await Task.Delay(TimeSpan.FromSeconds(5));
        proxy.Fault = StorageFault.None;
        var result = await runner.WaitAsync(TimeSpan.FromMinutes(2));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(1, result.Succeeded!.Repository!.SnapshotCount);
    }

    /// <summary>Storage errors are logged at warning or error level, in one JSON line each.</summary>
    private static void AssertStorageErrorsLogged(RunnerResult result)
    {
        var entries = LogLine.ParseAll(result.Stderr);
        Assert.Contains(entries, e => e.Level is "Warning" && e.Message.Contains("storage", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(entries, e => e.Level is "Error");
        Assert.DoesNotContain(entries, e => e.Level is "Information" && e.Message.Contains("storage error", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// A mariadb-dump that sends the first half of the real dump, then the rest once the test creates the gate file:
    /// the storage can fail while the dump is half way, and restic needs the storage again as soon as the rest comes.
    /// </summary>
    private static (string Bin, string Gate) GatedDump()
    {
        var bin = TestEnvironment.TempFolder("bin");
        var gate = Path.Combine(bin, "gate");
        var script = Path.Combine(bin, "mariadb-dump");
        File.WriteAllText(script,
            "#!/bin/bash\n" +
            "dump=$(mktemp)\n" +
            "/usr/bin/mariadb-dump \"$@\" > \"$dump\" || exit $?\n" +
            "half=$(( $(stat -c %s \"$dump\") / 2 ))\n" +
            "head -c $half \"$dump\"\n" +
            $"while [ ! -e '{gate}' ]; do sleep 0.05; done\n" +
            "tail -c +$(( half + 1 )) \"$dump\"\n" +
            "rm -f \"$dump\"\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return (bin, gate);
    }
}
