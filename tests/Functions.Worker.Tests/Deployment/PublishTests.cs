using System.IO.Compression;
using System.Text.Json;
using Serverless.Backup.Control.Endpoints;
using Serverless.Backup.Testing;
using Serverless.Backup.WorkerHost;
using Serverless.Backup.WorkerHost.Rpc;

namespace Serverless.Backup.Functions.Worker.Tests.Deployment;

/// <summary>scripts/publish.sh: the zip a user deploys to Flex Consumption (runtime dotnet-isolated 10.0).</summary>
public sealed class PublishTests(PublishedApp app) : IClassFixture<PublishedApp>
{
    [Fact]
    public void The_zip_holds_the_worker_at_its_root_with_its_metadata_config_and_host_json()
    {
        using var zip = ZipFile.OpenRead(app.ZipPath);
        var names = zip.Entries.Select(e => e.FullName).ToHashSet();

        Assert.Subset(names, new HashSet<string> { "host.json", "worker.config.json", "functions.metadata", "extensions.json", "Serverless.Backup.Functions.dll", "Serverless.Backup.Functions.runtimeconfig.json" });
        Assert.DoesNotContain(names, n => n.EndsWith(".pdb", StringComparison.Ordinal));
        // Framework-dependent: the platform's .NET runs it, so neither the runtime nor an apphost travels along.
        Assert.DoesNotContain("libcoreclr.so", names);
        Assert.DoesNotContain("Serverless.Backup.Functions", names);

        using var host = JsonDocument.Parse(Read(zip, "host.json"));
        Assert.Equal("2.0", host.RootElement.GetProperty("version").GetString());
        Assert.False(host.RootElement.TryGetProperty("customHandler", out _), "host.json still configures a custom handler");
        using var worker = JsonDocument.Parse(Read(zip, "worker.config.json"));
        Assert.Equal("dotnet-isolated", worker.RootElement.GetProperty("description").GetProperty("language").GetString());
        Assert.Equal("Serverless.Backup.Functions.dll", worker.RootElement.GetProperty("description").GetProperty("defaultWorkerPath").GetString());
        using var metadata = JsonDocument.Parse(Read(zip, "functions.metadata"));
        Assert.Equal(CatalogShape.Catalog, metadata.RootElement.EnumerateArray().Select(CatalogShape.From).OrderBy(f => f.Name, StringComparer.Ordinal));
    }

    [Fact]
    public void Every_host_extension_that_extensions_json_names_is_in_the_zip()
    {
        using var zip = ZipFile.OpenRead(app.ZipPath);
        var names = zip.Entries.Select(e => e.FullName).ToHashSet();
        using var extensions = JsonDocument.Parse(Read(zip, "extensions.json"));

        var hintPaths = extensions.RootElement.GetProperty("extensions").EnumerateArray()
            .Select(e => e.GetProperty("hintPath").GetString()!).Select(p => p.StartsWith("./", StringComparison.Ordinal) ? p[2..] : p).ToList();

        // The worker SDK's build of the host-side extensions lives in the hidden folder .azurefunctions/.
        Assert.NotEmpty(hintPaths);
        Assert.All(hintPaths, path => Assert.Contains(path, names));
        Assert.Contains(".azurefunctions/function.deps.json", names);
    }

    [Fact]
    public void The_worker_targets_the_net_version_the_flex_runtime_names()
    {
        using var zip = ZipFile.OpenRead(app.ZipPath);
        using var runtimeConfig = JsonDocument.Parse(Read(zip, "Serverless.Backup.Functions.runtimeconfig.json"));
        var options = runtimeConfig.RootElement.GetProperty("runtimeOptions");

        Assert.Equal("net10.0", options.GetProperty("tfm").GetString());
        Assert.False(options.TryGetProperty("includedFrameworks", out _), "the app was published self-contained");
        Assert.Equal(FlexDeploymentTests.RuntimeVersion, options.GetProperty("tfm").GetString()!["net".Length..]);
    }

    [Fact]
    public async Task The_unpacked_zip_starts_as_a_worker_indexes_every_function_and_runs_a_timer()
    {
        var folder = TestEnvironment.TempFolder("published-resources");
        try
        {
            await using var host = await BackupWorker.StartAsync(BackupWorker.FolderSettings(folder), appDirectory: app.Unpacked);

            Assert.Equal(Path.Combine(Path.GetFullPath(app.Unpacked), "Serverless.Backup.Functions.dll"), host.Worker.CommandLine[1]);
            Assert.Equal(CatalogShape.Catalog, host.Functions.Select(CatalogShape.From).OrderBy(f => f.Name, StringComparer.Ordinal));
            Assert.All(host.LoadResponses.Values, l => Assert.Equal(StatusResult.Types.Status.Success, l.Result.Status));
            var response = await host.InvokeTimerAsync(FunctionNames.ScheduleTick, CancellationToken.None);
            Assert.True(response.Result.Status == StatusResult.Types.Status.Success, BackupWorker.Describe(host, response));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string Read(ZipArchive zip, string name)
    {
        using var reader = new StreamReader(zip.GetEntry(name)?.Open() ?? throw new InvalidOperationException($"{name} is not in the zip"));
        return reader.ReadToEnd();
    }
}
