using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Backup.Runner.Storage;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Runner.Tests.Storage;

/// <summary>The contract of <see cref="IObjectStore"/>, run against every implementation with its real server.</summary>
[Collection(RunnerCollection.Name)]
public sealed class ObjectStoreContractTests(RunnerFixture fixture)
{
    public static TheoryData<string> Backends => ["local", "azure", "s3"];

    private IObjectStore Store(string backend, string name) => backend switch
    {
        "local" => new LocalObjectStore(fixture.Repository("local", name).Path!),
        "azure" => new AzureBlobObjectStore(fixture.Repository("azure", name)),
        _ => new S3ObjectStore(fixture.Repository("s3", name)),
    };

    private static string Hash(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    private static MemoryStream Text(string text) => new(Encoding.UTF8.GetBytes(text));

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Content_that_does_not_match_its_hash_is_never_stored(string backend)
    {
        var store = Store(backend, Name());
        await store.EnsureContainerAsync(CancellationToken.None);
        var content = RandomNumberGenerator.GetBytes(9_000_000);

        var error = await Assert.ThrowsAsync<ContentMismatchException>(() =>
            store.TryCreateAsync("data/00/claimed", new MemoryStream(content), content.Length, new string('0', 64), CancellationToken.None));

        Assert.Equal(Hash(content), error.Actual);
        Assert.Null(await store.GetSizeAsync("data/00/claimed", CancellationToken.None));
        Assert.Empty(await store.ListAsync("data/", CancellationToken.None).ToListAsync());
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Large_content_streams_through_in_blocks_and_reads_back_whole(string backend)
    {
        var store = Store(backend, Name());
        await store.EnsureContainerAsync(CancellationToken.None);
        var content = RandomNumberGenerator.GetBytes(AzureBlobObjectStore.BlockSize * 2 + 12345);

        Assert.True(await store.TryCreateAsync("data/11/big", new MemoryStream(content), null, Hash(content), CancellationToken.None));

        Assert.Equal(content, await ReadAllAsync(await store.OpenReadAsync("data/11/big", 0, null, CancellationToken.None)));
    }

    private static string Name() => "c" + Guid.NewGuid().ToString("N")[..20];

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        await using (stream)
        {
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            return copy.ToArray();
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_missing_container_is_created_and_objects_round_trip(string backend)
    {
        var store = Store(backend, Name());
        await store.EnsureContainerAsync(CancellationToken.None);
        await store.EnsureContainerAsync(CancellationToken.None);
        var content = RandomNumberGenerator.GetBytes(300_000);

        Assert.True(await store.TryCreateAsync("data/ab/object", new MemoryStream(content), content.Length, Hash(content), CancellationToken.None));

        Assert.Equal(300_000, await store.GetSizeAsync("data/ab/object", CancellationToken.None));
        Assert.Equal(content, await ReadAllAsync(await store.OpenReadAsync("data/ab/object", 0, null, CancellationToken.None)));
        Assert.Equal(content[1000..1100], await ReadAllAsync(await store.OpenReadAsync("data/ab/object", 1000, 100, CancellationToken.None)));
        Assert.Equal(content[299_000..], await ReadAllAsync(await store.OpenReadAsync("data/ab/object", 299_000, null, CancellationToken.None)));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task An_existing_object_is_never_overwritten(string backend)
    {
        var store = Store(backend, Name());
        await store.EnsureContainerAsync(CancellationToken.None);
        Assert.True(await store.TryCreateAsync("config", Text("first"), null, null, CancellationToken.None));

        Assert.False(await store.TryCreateAsync("config", Text("second"), null, null, CancellationToken.None));

        Assert.Equal("first", Encoding.UTF8.GetString(await ReadAllAsync(await store.OpenReadAsync("config", 0, null, CancellationToken.None))));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task A_missing_object_is_a_clean_not_found(string backend)
    {
        var store = Store(backend, Name());
        await store.EnsureContainerAsync(CancellationToken.None);

        Assert.Null(await store.GetSizeAsync("keys/nope", CancellationToken.None));
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.OpenReadAsync("keys/nope", 0, null, CancellationToken.None));
        Assert.False(await store.DeleteAsync("keys/nope", CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Listing_finds_nested_objects_by_prefix_and_delete_removes_them(string backend)
    {
        var store = Store(backend, Name());
        await store.EnsureContainerAsync(CancellationToken.None);
        await store.TryCreateAsync("data/00/a", new MemoryStream(new byte[10]), 10, null, CancellationToken.None);
        await store.TryCreateAsync("data/ff/b", new MemoryStream(new byte[20]), 20, null, CancellationToken.None);
        await store.TryCreateAsync("index/c", new MemoryStream(new byte[30]), null, null, CancellationToken.None);

        var data = await store.ListAsync("data/", CancellationToken.None).ToListAsync();

        Assert.Equal([new ObjectInfo("data/00/a", 10), new ObjectInfo("data/ff/b", 20)], data.OrderBy(o => o.Key));
        Assert.True(await store.DeleteAsync("data/00/a", CancellationToken.None));
        Assert.Equal(["data/ff/b"], (await store.ListAsync("data/", CancellationToken.None).ToListAsync()).Select(o => o.Key));
    }

    [Theory]
    [InlineData("azure")]
    [InlineData("s3")]
    public async Task Wrong_credentials_are_refused_with_the_setting_to_fix(string backend)
    {
        var settings = fixture.Repository(backend, Name());
        await Store(backend, backend == "azure" ? settings.AzureContainer! : settings.S3Bucket!).EnsureContainerAsync(CancellationToken.None);
        settings = settings with { AzureAccountKey = Convert.ToBase64String(new byte[64]), AwsAccessKeyId = "NOTAKEY", AwsSecretAccessKey = "wrong" };
        IObjectStore store = backend == "azure" ? new AzureBlobObjectStore(settings) : new S3ObjectStore(settings);

        var error = await Assert.ThrowsAsync<StorageUnreachableException>(() => store.EnsureContainerAsync(CancellationToken.None));

        Assert.Contains(backend == "azure" ? "AZURE_ACCOUNT_KEY" : "AWS_SECRET_ACCESS_KEY", error.Message);
    }

    [Theory]
    [InlineData("azure")]
    [InlineData("s3")]
    public async Task An_endpoint_nobody_listens_on_is_unreachable_storage_within_the_connect_timeout(string backend)
    {
        var closed = $"http://127.0.0.1:{TestEnvironment.FreePort()}";
        var settings = fixture.Repository(backend, Name()) with { AzureEndpoint = closed + "/devstoreaccount1", S3Endpoint = closed };
        var started = DateTime.UtcNow;

        var error = await Assert.ThrowsAsync<StorageUnreachableException>(() => ResticRepositoryEndpoint.OpenAsync(settings, new StorageHealth(NullLogger.Instance), NullLogger.Instance, CancellationToken.None));

        Assert.Contains(backend == "azure" ? "AZURE_ENDPOINT" : "S3_ENDPOINT", error.Message);
        Assert.True(DateTime.UtcNow - started < ResticRepositoryEndpoint.ConnectTimeout + TimeSpan.FromSeconds(10));
    }
}
