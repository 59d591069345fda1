using System.Net;
using System.Security.Cryptography;
using CliWrap;
using CliWrap.Buffered;
using Microsoft.Extensions.Logging.Abstractions;
using Serverless.Backup.Runner.Storage;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Runner.Tests.Storage;

/// <summary>The REST backend server with the real restic 0.14 against each store.</summary>
[Collection(RunnerCollection.Name)]
public sealed class RestBackendServerTests(RunnerFixture fixture)
{
    private IObjectStore Store(string backend, string name) => backend switch
    {
        "local" => new LocalObjectStore(fixture.Repository("local", name).Path!),
        "azure" => new AzureBlobObjectStore(fixture.Repository("azure", name)),
        _ => new S3ObjectStore(fixture.Repository("s3", name)),
    };

    private static async Task<BufferedCommandResult> ResticAsync(RestBackendServer server, byte[]? stdin, params string[] arguments)
    {
        var command = Cli.Wrap("restic")
            .WithArguments(arguments)
            .WithEnvironmentVariables(new Dictionary<string, string?>
            {
                ["RESTIC_REPOSITORY"] = server.ResticRepository,
                ["RESTIC_PASSWORD"] = "rest-test",
                ["RESTIC_CACHE_DIR"] = TestEnvironment.TempFolder("cache"),
            })
            .WithValidation(CommandResultValidation.None);
        if (stdin is not null)
        {
            command = command.WithStandardInputPipe(PipeSource.FromBytes(stdin));
        }
        return await command.ExecuteBufferedAsync();
    }

    [Theory]
    [InlineData("local")]
    [InlineData("azure")]
    [InlineData("s3")]
    public async Task Restic_initialises_backs_up_dumps_and_checks_every_byte_through_the_server(string backend)
    {
        var store = Store(backend, "rest-" + backend);
        await store.EnsureContainerAsync(CancellationToken.None);
        await using var server = await RestBackendServer.StartAsync(store, NullLogger.Instance, CancellationToken.None);
        var data = RandomNumberGenerator.GetBytes(3_000_000);

        Assert.Equal(0, (await ResticAsync(server, null, "init")).ExitCode);
        var backup = await ResticAsync(server, data, "backup", "--stdin", "--stdin-filename", "random.bin", "--json");
        Assert.True(backup.ExitCode == 0, backup.StandardError);
        var dump = await Cli.Wrap("restic").WithArguments(["dump", "latest", "/random.bin"])
            .WithEnvironmentVariables(new Dictionary<string, string?> { ["RESTIC_REPOSITORY"] = server.ResticRepository, ["RESTIC_PASSWORD"] = "rest-test" })
            .ExecuteBufferedAsync(System.Text.Encoding.Latin1);
        var check = await ResticAsync(server, null, "check", "--read-data");

        Assert.Equal(data, System.Text.Encoding.Latin1.GetBytes(dump.StandardOutput));
        Assert.True(check.ExitCode == 0, check.StandardOutput + check.StandardError);
        Assert.True(server.BytesUploaded > data.Length / 2);
        Assert.True(server.BytesDownloaded > 0);
        // What the store holds is restic's own layout: data in two-hex-digit folders.
        Assert.Contains(await store.ListAsync("data/", CancellationToken.None).ToListAsync(), o => o.Key.Length == "data/ab/".Length + 64);
    }

    [Fact]
    public async Task An_upload_whose_content_does_not_match_its_name_is_refused()
    {
        var store = Store("azure", "rest-hash");
        await store.EnsureContainerAsync(CancellationToken.None);
        await using var server = await RestBackendServer.StartAsync(store, NullLogger.Instance, CancellationToken.None);
        using var http = new HttpClient { BaseAddress = new Uri(server.ResticRepository["rest:".Length..]) };
        var content = RandomNumberGenerator.GetBytes(1000);
        var wrongName = new string('0', 64);

        var response = await http.PostAsync($"data/{wrongName}", new ByteArrayContent(content));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("SHA-256", await response.Content.ReadAsStringAsync());
        Assert.Null(await store.GetSizeAsync($"data/00/{wrongName}", CancellationToken.None));
    }

    [Fact]
    public async Task An_existing_object_is_not_overwritten_and_a_second_config_is_refused()
    {
        var store = Store("s3", "rest-overwrite");
        await store.EnsureContainerAsync(CancellationToken.None);
        await using var server = await RestBackendServer.StartAsync(store, NullLogger.Instance, CancellationToken.None);
        using var http = new HttpClient { BaseAddress = new Uri(server.ResticRepository["rest:".Length..]) };
        var content = RandomNumberGenerator.GetBytes(1000);
        var name = Convert.ToHexStringLower(SHA256.HashData(content));

        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync($"keys/{name}", new ByteArrayContent(content))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync($"keys/{name}", new ByteArrayContent(content))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("config", new ByteArrayContent([1, 2, 3]))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.PostAsync("config", new ByteArrayContent([4, 5, 6]))).StatusCode);

        Assert.Equal([1, 2, 3], await http.GetByteArrayAsync("config"));
        Assert.Equal(content, await http.GetByteArrayAsync($"keys/{name}"));
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("data/not-a-hash")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("secrets/")).StatusCode);
    }
}
