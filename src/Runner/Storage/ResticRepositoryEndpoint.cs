using Serverless.Backup.Core.Environment;

namespace Serverless.Backup.Runner.Storage;

/// <summary>
/// The value of RESTIC_REPOSITORY for a run. A local repository is restic's own local backend; Azure Blob and S3
/// are served to restic by a loopback REST-backend server inside the runner (see <c>RestBackendServer</c>), which
/// lives as long as this object.
/// </summary>
public sealed class ResticRepositoryEndpoint : IAsyncDisposable
{
    private readonly IAsyncDisposable? _server;

    private ResticRepositoryEndpoint(string repository, IAsyncDisposable? server)
    {
        Repository = repository;
        _server = server;
    }

    /// <summary>What restic gets as RESTIC_REPOSITORY (a path, or rest:http://127.0.0.1:PORT/).</summary>
    public string Repository { get; }

    public static Task<ResticRepositoryEndpoint> OpenAsync(RepositorySettings settings, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return settings.Backend switch
        {
            RepositoryBackend.Local => Task.FromResult(new ResticRepositoryEndpoint(CheckLocalPath(settings.Path!), null)),
            // Filled in by the storage work: start RestBackendServer over the backend's IObjectStore.
            _ => throw new NotSupportedException($"REPOSITORY_BACKEND={settings.Backend} is not supported yet"),
        };
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
