using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Runner.Storage;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Runner.Tests.Maintenance;

/// <summary>The check verb: restic check reading all of the data, on a local folder and through the object store.</summary>
[Collection(RunnerCollection.Name)]
public sealed class CheckTests(RunnerFixture fixture)
{
    [Theory]
    [InlineData("local")]
    [InlineData("s3")]
    [InlineData("azure")]
    public async Task A_check_finds_an_intact_repository_intact_and_an_altered_pack_file_damaged(string backend)
    {
        await SampleDatabase.CreateAsync(fixture.Database, "check_db");
        var repository = fixture.Repository(backend, $"check-{Guid.NewGuid():N}"[..20]);
        var settings = fixture.Settings($"check-{backend}", repository, "check_db");
        settings = settings with { Maintenance = settings.Maintenance with { ReadDataSubset = "100%" } };
        var backup = await RunnerProcess.RunAsync("backup", settings);
        Assert.True(backup.ExitCode == 0, backup.ToString());

        var intact = await RunnerProcess.RunAsync("check", settings);

        Assert.True(intact.ExitCode == 0, intact.ToString());
        Assert.True(intact.Succeeded!.Repository!.Integrity);
        Assert.Equal(1, intact.Succeeded.Repository.SnapshotCount);
        Assert.Equal("check_db", intact.Succeeded.Repository.RecentSnapshots[0].Database);

        await AlterOnePackAsync(repository);
        var damaged = await RunnerProcess.RunAsync("check", settings);

        Assert.Equal(13, damaged.ExitCode);
        Assert.Equal(FailureReason.IntegrityCheckFailed, damaged.Failed?.Reason);
        Assert.False(damaged.Failed!.Repository!.Integrity);
        Assert.Contains("does not match", damaged.Failed.Repository.IntegrityMessage);
        Assert.Contains("repository contains errors", damaged.Failed.Message);
    }

    /// <summary>Flips a byte in the middle of one object under data/, as bit rot or a bad copy would.</summary>
    private static async Task AlterOnePackAsync(RepositorySettings repository)
    {
        IObjectStore store = repository.Backend switch
        {
            RepositoryBackend.S3 => new S3ObjectStore(repository),
            RepositoryBackend.Azure => new AzureBlobObjectStore(repository),
            _ => new LocalObjectStore(repository.Path!),
        };
        try
        {
            ObjectInfo? pack = null;
            await foreach (var item in store.ListAsync("data/", CancellationToken.None))
            {
                pack = item.Size > (pack?.Size ?? 0) ? item : pack;
            }
            Assert.NotNull(pack);
            using var copy = new MemoryStream();
            await using (var content = await store.OpenReadAsync(pack.Key, 0, null, CancellationToken.None))
            {
                await content.CopyToAsync(copy);
            }
            var bytes = copy.ToArray();
            bytes[bytes.Length / 2] ^= 0xFF;
            Assert.True(await store.DeleteAsync(pack.Key, CancellationToken.None));
            Assert.True(await store.TryCreateAsync(pack.Key, new MemoryStream(bytes), bytes.Length, null, CancellationToken.None));
        }
        finally
        {
            (store as IDisposable)?.Dispose();
        }
    }
}
