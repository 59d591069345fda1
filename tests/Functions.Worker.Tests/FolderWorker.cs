using Serverless.Backup.WorkerHost;

namespace Serverless.Backup.Functions.Worker.Tests;

/// <summary>
/// One worker of the built app in folder mode over <see cref="Resources"/> (the base resources written), shared by
/// the tests of the <see cref="WorkerCollection"/>: a worker start takes seconds on two cores.
/// </summary>
public sealed class FolderWorker : IAsyncLifetime
{
    private FunctionsHost? _host;

    public ResourceFolder Resources { get; } = new();

    public FunctionsHost Host => _host ?? throw new InvalidOperationException("the worker has not started");

    public async Task InitializeAsync()
    {
        await Resources.WriteBaseResourcesAsync();
        var settings = BackupWorker.FolderSettings(Resources.Path);
        // Reconcile starts the Jobs of Pending sessions as local processes; here each one fails at once, which
        // these tests never look at, rather than running a backup.
        settings["BACKUP_RUNNER_COMMAND"] = "false";
        _host = await BackupWorker.StartAsync(settings);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
        Resources.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class WorkerCollection : ICollectionFixture<FolderWorker>
{
    public const string Name = "folder worker";
}
