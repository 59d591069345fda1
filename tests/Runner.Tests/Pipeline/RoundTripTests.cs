using Serverless.Backup.Core.Events;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Runner.Tests.Pipeline;

[Collection(RunnerCollection.Name)]
public sealed class RoundTripTests(RunnerFixture fixture)
{
    private MariaDbServer Db => fixture.Database;

    [Theory]
    [InlineData("local")]
    [InlineData("azure")]
    [InlineData("s3")]
    public async Task Two_databases_backed_up_and_restored_under_new_names_are_equal_in_data_and_definitions(string backend)
    {
        var repository = fixture.Repository(backend, "rt-" + backend);
        var (shop, crm) = ($"rt_shop_{backend}", $"rt_crm_{backend}");
        await SampleDatabase.CreateAsync(Db, shop);
        await SampleDatabase.CreateAsync(Db, crm, extraRows: 20000);

        var backup = await RunnerProcess.RunAsync("backup", fixture.Settings("rt-1", repository, shop, crm));

        Assert.True(backup.ExitCode == 0, backup.ToString());
        Assert.IsType<StartedEvent>(backup.Events[0]);
        var succeeded = backup.Succeeded!;
        Assert.Equal([shop, crm], succeeded.Databases.Select(d => d.Database));
        Assert.All(succeeded.Databases, d =>
        {
            Assert.Matches("^[0-9a-f]{8,64}$", d.SnapshotId);
            Assert.Matches("^[0-9a-f]{64}$", d.Sha256);
            Assert.True(d.Bytes > 1000);
            Assert.True(d.DataAdded > 0);
        });
        if (backend == "local")
        {
            Assert.Equal(2, (await ResticRepository.SnapshotsAsync(repository.Path!, RunnerFixture.RepositoryPassword)).Count);
        }

        var settings = fixture.Settings("rt-1", repository) with
        {
            Restore = new() { FromSession = "rt-1", Rename = new Dictionary<string, string> { [shop] = shop + "_copy", [crm] = crm + "_copy" } },
        };
        var restore = await RunnerProcess.RunAsync("restore", settings);

        Assert.True(restore.ExitCode == 0, restore.ToString());
        var restored = restore.Succeeded!.Databases;
        Assert.Equal([crm, shop], restored.Select(d => d.Database));
        Assert.Equal([crm + "_copy", shop + "_copy"], restored.Select(d => d.RestoredInto));
        // The stream that came back is byte for byte the stream that was dumped.
        foreach (var database in restored)
        {
            var original = succeeded.Databases.Single(d => d.Database == database.Database);
            Assert.Equal(original.Sha256, database.Sha256);
            Assert.Equal(original.Bytes, database.Bytes);
        }
        Assert.Equal(await SampleDatabase.FingerprintAsync(Db, shop), await SampleDatabase.FingerprintAsync(Db, shop + "_copy"));
        Assert.Equal(await SampleDatabase.FingerprintAsync(Db, crm), await SampleDatabase.FingerprintAsync(Db, crm + "_copy"));
    }

    [Fact]
    public async Task One_database_of_two_can_be_restored_on_its_own_from_the_latest_snapshots()
    {
        var repository = TestEnvironment.TempFolder("repo");
        await SampleDatabase.CreateAsync(Db, "one_a");
        await SampleDatabase.CreateAsync(Db, "one_b");
        var backup = await RunnerProcess.RunAsync("backup", fixture.Settings("one-1", repository, "one_a", "one_b"));
        Assert.True(backup.ExitCode == 0, backup.ToString());

        var settings = fixture.Settings("one-1", repository) with
        {
            Restore = new() { Databases = ["one_b"], Rename = new Dictionary<string, string> { ["one_b"] = "one_b_only" } },
        };
        var restore = await RunnerProcess.RunAsync("restore", settings);

        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal("one_b_only", Assert.Single(restore.Succeeded!.Databases).RestoredInto);
        Assert.Equal(await SampleDatabase.FingerprintAsync(Db, "one_b"), await SampleDatabase.FingerprintAsync(Db, "one_b_only"));
        Assert.Empty(await Db.QueryAsync("SHOW DATABASES LIKE 'one_a_%'"));
    }

    [Fact]
    public async Task Restoring_over_the_same_name_needs_overwrite_then_replaces_changed_data_and_a_snapshot_id_picks_the_snapshot()
    {
        var repository = TestEnvironment.TempFolder("repo");
        await SampleDatabase.CreateAsync(Db, "same_name");
        var before = await SampleDatabase.FingerprintAsync(Db, "same_name");
        var backup = await RunnerProcess.RunAsync("backup", fixture.Settings("same-1", repository, "same_name"));
        Assert.True(backup.ExitCode == 0, backup.ToString());
        await Db.ExecuteAsync("DELETE FROM customers WHERE id = 1; UPDATE customers SET balance = 999", "same_name");
        var changed = await SampleDatabase.FingerprintAsync(Db, "same_name");

        var settings = fixture.Settings("same-2", repository) with
        {
            Restore = new() { Snapshots = [backup.Succeeded!.Databases[0].SnapshotId] },
        };
        var refused = await RunnerProcess.RunAsync("restore", settings);

        Assert.True(refused.Failed?.Reason == FailureReason.TargetNotEmpty, refused.ToString());
        Assert.Equal(changed, await SampleDatabase.FingerprintAsync(Db, "same_name"));

        var restore = await RunnerProcess.RunAsync("restore", settings with { Restore = settings.Restore with { Overwrite = true } });

        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(before, await SampleDatabase.FingerprintAsync(Db, "same_name"));
    }

    [Fact]
    public async Task A_second_backup_of_unchanged_data_adds_almost_nothing()
    {
        var repository = TestEnvironment.TempFolder("repo");
        await SampleDatabase.CreateAsync(Db, "dedup", extraRows: 20000);
        var first = await RunnerProcess.RunAsync("backup", fixture.Settings("dedup-1", repository, "dedup"));

        var second = await RunnerProcess.RunAsync("backup", fixture.Settings("dedup-2", repository, "dedup"));

        Assert.True(second.ExitCode == 0, second.ToString());
        var dump = first.Succeeded!.Databases[0];
        var again = second.Succeeded!.Databases[0];
        Assert.Equal(dump.Sha256, again.Sha256);
        Assert.True(again.DataAdded < dump.Bytes / 100, $"added {again.DataAdded} of {dump.Bytes}");

        // The repository report (listed while the dump streamed) holds both snapshots, this run's first, with its size.
        var report = second.Succeeded.Repository!;
        Assert.Equal(2, report.SnapshotCount);
        Assert.Equal([again.SnapshotId[..8], dump.SnapshotId[..8]], report.RecentSnapshots.Select(s => s.Id));
        Assert.Equal(("dedup-2", "dedup", again.Bytes), (report.RecentSnapshots[0].Session, report.RecentSnapshots[0].Database, report.RecentSnapshots[0].Size));
        Assert.Equal("dedup-1", report.RecentSnapshots[1].Session);
        var snapshots = await ResticRepository.SnapshotsAsync(repository, RunnerFixture.RepositoryPassword);
        Assert.Equal(2, snapshots.Count);
    }
}
