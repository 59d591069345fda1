using Microsoft.Extensions.Logging;
using Serverless.Backup.Core.Environment;

namespace Serverless.Backup.Runner.Storage;

/// <summary>
/// The value of RESTIC_REPOSITORY for a run. A local repository is restic's own local backend; Azure Blob and S3
/// are served to restic by a loopback REST-backend server inside the runner (<see cref="RestBackendServer"/>)
/// over the backend's <see cref="IObjectStore"/>, which lives as long as this object.
/// </summary>
public sealed class ResticRepositoryEndpoint : IAsyncDisposable
{
    /// <summary>How long the first contact with the storage may take before the run fails as unreachable.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// restic's parallel connections to the REST server. Each holds at most one block in memory here. With one
    /// request per pack, two keep the storage busy; a third only added CPU contention on two cores (benchmark:
    /// 1.19 against the shell pipeline with three, 1.13 with two) and a block of memory.
    /// </summary>
    public const int RestConnections = 2;

    private readonly RestBackendServer? _server;
    private readonly IObjectStore? _store;
    private readonly IObjectStore _objects;

    private ResticRepositoryEndpoint(string repository, RestBackendServer? server, IObjectStore? store, StorageHealth? health)
    {
        Repository = repository;
        _server = server;
        _store = store;
        _objects = store ?? new LocalObjectStore(repository);
        Health = health;
    }

    /// <summary>What the object store has been answering (null for a local repository).</summary>
    public StorageHealth? Health { get; }

    /// <summary>
    /// The repository's objects, in the store or the local folder. The runner reads restic's objects here (locks,
    /// sizes) and writes only records of its own, outside restic's layout (<see cref="Snapshots.PendingSnapshots"/>).
    /// </summary>
    public IObjectStore Objects => _objects;

    /// <summary>The number of lock objects (restic's locks/), read from the storage without opening the repository.</summary>
    public async Task<int> CountLocksAsync(CancellationToken cancellationToken)
    {
        var count = 0;
        await foreach (var _ in _objects.ListAsync("locks/", cancellationToken))
        {
            count++;
        }
        return count;
    }

    /// <summary>The names of the lock objects (restic's locks/), read from the storage.</summary>
    public async Task<IReadOnlySet<string>> LockNamesAsync(CancellationToken cancellationToken)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var item in _objects.ListAsync("locks/", cancellationToken))
        {
            names.Add(item.Key[(item.Key.LastIndexOf('/') + 1)..]);
        }
        return names;
    }

    /// <summary>
    /// Once this run's restic processes have ended: the listed locks they left behind. Through the REST server the
    /// runner saw every lock restic tried to create; in a local repository they are the locks that were not there
    /// before the work began (another session's new lock among them is not told apart).
    /// </summary>
    public IReadOnlyList<string> LocksOfThisRun(IReadOnlySet<string> listed, IReadOnlySet<string> before) =>
        _server is null
            ? [.. listed.Where(name => !before.Contains(name))]
            : [.. listed.Intersect(_server.LocksTried, StringComparer.Ordinal)];

    /// <summary>Waits until the REST server has finished the requests restic left in flight (10 s at most).</summary>
    public Task WaitIdleAsync(CancellationToken cancellationToken) =>
        _server?.WaitIdleAsync(TimeSpan.FromSeconds(10), cancellationToken) ?? Task.CompletedTask;

    /// <summary>Bytes the repository takes in its storage: the sum of its objects' sizes (one listing, no restic call).</summary>
    public async Task<long> TotalSizeAsync(CancellationToken cancellationToken)
    {
        long total = 0;
        await foreach (var item in _objects.ListAsync("", cancellationToken))
        {
            total += item.Size;
        }
        return total;
    }

    /// <summary>Whether the repository's config object exists (without opening it: no password involved).</summary>
    public async Task<bool> ConfigExistsAsync(CancellationToken cancellationToken) =>
        _store is null
            ? File.Exists(Path.Combine(Repository, "config"))
            : await _store.GetSizeAsync("config", cancellationToken) is not null;

    /// <summary>What restic gets as RESTIC_REPOSITORY (a path, or rest:http://127.0.0.1:PORT/).</summary>
    public string Repository { get; }

    /// <summary>restic options this endpoint needs (-o …).</summary>
    public IReadOnlyList<string> ResticOptions => _server is null
        ? []
        : ["-o", $"rest.connections={RestConnections}", "--pack-size", PackSizeMiB.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    /// <summary>
    /// restic's target pack size for object stores (restic 0.14's default is 16 MiB): a 6 MiB pack fits in one
    /// upload block (<see cref="AzureBlobObjectStore.BlockSize"/>), so the store verifies it in memory and writes it
    /// with one request instead of staging blocks and committing a list: fewer storage transactions, less work for
    /// the store, and a smaller buffer per upload for S3.
    /// </summary>
    public const int PackSizeMiB = 6;

    /// <summary>Bytes restic uploaded and downloaded through the REST server (0 for a local repository).</summary>
    public long BytesUploaded => _server?.BytesUploaded ?? 0;
    public long BytesDownloaded => _server?.BytesDownloaded ?? 0;

    public static async Task<ResticRepositoryEndpoint> OpenAsync(
        RepositorySettings settings, StorageHealth health, ILogger log, CancellationToken cancellationToken)
    {
        if (settings.Backend == RepositoryBackend.Local)
        {
            return new ResticRepositoryEndpoint(CheckLocalPath(settings.Path!), null, null, null);
        }
        IObjectStore store = settings.Backend switch
        {
            RepositoryBackend.Azure => new AzureBlobObjectStore(settings, health),
            RepositoryBackend.S3 => new S3ObjectStore(settings, health),
            _ => throw new ArgumentException($"REPOSITORY_BACKEND={settings.Backend} is not supported: set it to local, azure or s3"),
        };
        health.Description = store.Description;
        health.Settings = settings.Backend == RepositoryBackend.Azure ? "AZURE_ENDPOINT (or AZURE_ACCOUNT_NAME)" : "S3_ENDPOINT and S3_REGION";

        using (var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            connect.CancelAfter(ConnectTimeout);
            try
            {
                await store.EnsureContainerAsync(connect.Token);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                // Say what the store did in those seconds: the SDK retried its answers until the time was up.
                var what = health.LastError is { } error ? $"{error} to every attempt for {ConnectTimeout.TotalSeconds:0} s" : $"did not answer within {ConnectTimeout.TotalSeconds:0} s";
                throw new StorageUnreachableException($"{store.Description} {what}: check {health.Settings} and the network", e);
            }
        }
        var server = await RestBackendServer.StartAsync(store, log, cancellationToken);
        return new ResticRepositoryEndpoint(server.ResticRepository, server, store, health);
    }

    private static string CheckLocalPath(string path)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            throw new StorageUnreachableException($"REPOSITORY_PATH '{path}' is a file: set it to a folder (restic creates it when missing)");
        }
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full) ?? full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageUnreachableException($"REPOSITORY_PATH '{path}' cannot be created ({e.Message}): set it to a writable folder, such as one on a mounted volume", e);
        }
        return full;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
