namespace Serverless.Backup.Control.Cluster;

/// <summary>
/// The folder store's write lock, across threads and processes: two app instances may share one folder, as two
/// Functions instances share one API server. A lock file held open with FileShare.None (an exclusive flock on
/// Unix) is taken around every read-check-write, so creates stay create-only and status writes keep their
/// resourceVersion check when instances race.
/// </summary>
public sealed class FolderLock(string root)
{
    private readonly SemaphoreSlim _local = new(1, 1);

    /// <summary>How long a writer waits for another instance before it gives up (the write then fails, and is retried by the next tick).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public async Task<IDisposable> TakeAsync(CancellationToken cancellationToken)
    {
        await _local.WaitAsync(cancellationToken);
        try
        {
            Directory.CreateDirectory(root);
            var path = Path.Combine(root, ".lock");
            var deadline = DateTime.UtcNow + Patience;
            for (var wait = 1; ; wait = Math.Min(wait * 2, 50))
            {
                try
                {
                    var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                    return new Held(file, _local);
                }
                catch (IOException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(Random.Shared.Next(wait, wait * 2), cancellationToken);
                }
                catch (IOException e)
                {
                    throw new IOException($"the resources folder stayed locked by another app instance for {Patience.TotalSeconds:0} s ({path}): check for a stuck process", e);
                }
            }
        }
        catch
        {
            _local.Release();
            throw;
        }
    }

    private sealed class Held(FileStream file, SemaphoreSlim local) : IDisposable
    {
        public void Dispose()
        {
            file.Dispose();
            local.Release();
        }
    }
}
