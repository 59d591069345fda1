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
        _host = await BackupWorker.StartAsync(BackupWorker.FolderSettings(Resources.Path));
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
