using System.Text.Json;
using Serverless.Backup.Control;
using Serverless.Backup.Control.Endpoints;
using Serverless.Backup.WorkerHost;
using Serverless.Backup.WorkerHost.Rpc;

namespace Serverless.Backup.Functions.Worker.Tests;

/// <summary>
/// The built app started as the host starts it: init, worker indexing and one load per function, and what it
/// indexes is exactly <see cref="FunctionCatalog"/>.
/// </summary>
[Collection(WorkerCollection.Name)]
public sealed class WorkerIndexingTests(FolderWorker worker)
{
    private FunctionsHost Host => worker.Host;

    [Fact]
    public void Init_succeeds_and_the_worker_reports_its_own_http_server_for_the_http_functions()
    {
        Assert.Equal(StatusResult.Types.Status.Success, Host.InitResponse.Result.Status);
        Assert.NotNull(Host.WorkerHttpUri);
        Assert.True(Host.WorkerHttpUri!.IsLoopback, $"HttpUri {Host.WorkerHttpUri} is not a loopback address");
        Assert.EndsWith("Serverless.Backup.Functions.dll", Host.Worker.CommandLine[1]);
    }

    [Fact]
    public void The_worker_indexes_itself_and_reports_exactly_the_catalog_with_triggers_routes_methods_and_auth_levels()
    {
        Assert.Equal(StatusResult.Types.Status.Success, Host.MetadataResponse.Result.Status);
        // Worker indexing: the functions come from the worker's own answer, not from the host reading functions.metadata.
        Assert.False(Host.MetadataResponse.UseDefaultMetadataIndexing);

        var indexed = Host.Functions.Select(CatalogShape.From).OrderBy(f => f.Name, StringComparer.Ordinal).ToList();

        Assert.Equal(CatalogShape.Catalog, indexed);
        Assert.All(Host.Functions, f => Assert.Equal("Serverless.Backup.Functions.dll", Path.GetFileName(f.Metadata.ScriptFile)));
    }

    [Fact]
    public void The_webhook_and_the_api_document_alone_are_anonymous_every_other_http_function_needs_a_function_key()
    {
        var levels = Host.Functions.Where(f => f.IsHttp).ToDictionary(f => f.Name, f => f.AuthLevel);
        string[] anonymous = [FunctionNames.SessionEvents, FunctionNames.OpenApiDocument];

        Assert.All(anonymous, name => Assert.Equal("Anonymous", levels[name]));
        Assert.All(levels.Where(l => !anonymous.Contains(l.Key)), l => Assert.Equal("Function", l.Value));
    }

    [Fact]
    public void Timer_schedules_name_their_app_settings_which_resolve_to_six_field_schedules()
    {
        foreach (var timer in FunctionCatalog.All.Where(f => f.Trigger is TimerTrigger))
        {
            var trigger = (TimerTrigger)timer.Trigger;
            Assert.Equal($"%{trigger.Setting}%", Host.Function(timer.Name).Schedule);
            Assert.Equal(trigger.Default, Host.ResolvedSchedule(timer.Name));
            Assert.Null(ControlPlaneServices.ScheduleError(trigger.Default));
        }
        Assert.Empty(Host.FunctionErrors);
    }

    [Fact]
    public void Every_function_loads()
    {
        Assert.Equal(FunctionCatalog.All.Select(f => f.Name).Order(), Host.LoadResponses.Keys.Order());
        Assert.All(Host.LoadResponses, load => Assert.True(
            load.Value.Result.Status == StatusResult.Types.Status.Success,
            $"{load.Key} did not load: {load.Value.Result.Exception?.Message}"));
        Assert.Empty(Host.UnexpectedMessages);
    }
}

/// <summary>functions.metadata in the build output: the file the platform reads when it indexes the app itself.</summary>
public sealed class FunctionsMetadataFileTests
{
    [Fact]
    public void Functions_metadata_lists_every_function_of_the_catalog_and_nothing_else()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(BackupWorker.AppDirectory, "functions.metadata")));
        var entries = document.RootElement.EnumerateArray().ToList();

        var listed = entries.Select(CatalogShape.From).OrderBy(f => f.Name, StringComparer.Ordinal).ToList();

        Assert.Equal(CatalogShape.Catalog.Select(f => f.Name), listed.Select(f => f.Name));
        foreach (var (expected, actual) in CatalogShape.Catalog.Zip(listed))
        {
            Assert.Equal(expected, actual);
        }
        Assert.All(entries, e =>
        {
            Assert.Equal("dotnet-isolated", e.GetProperty("language").GetString());
            Assert.Equal("Serverless.Backup.Functions.dll", e.GetProperty("scriptFile").GetString());
            Assert.StartsWith("Serverless.Backup.Functions.", e.GetProperty("entryPoint").GetString(), StringComparison.Ordinal);
        });
    }

    [Fact]
    public void The_build_output_is_an_isolated_worker_app_with_host_json_of_the_repository()
    {
        var app = WorkerApp.FromDirectory(BackupWorker.AppDirectory);

        Assert.Equal("dotnet-isolated", app.Language);
        Assert.Equal("dotnet", app.ExecutablePath);
        Assert.True(app.WorkerIndexing);
        using var hostJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(BackupWorker.AppDirectory, "host.json")));
        Assert.Equal("2.0", hostJson.RootElement.GetProperty("version").GetString());
        Assert.False(hostJson.RootElement.TryGetProperty("customHandler", out _), "host.json still configures a custom handler");
        Assert.Equal(Routes.Prefix, hostJson.RootElement.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
    }
}
