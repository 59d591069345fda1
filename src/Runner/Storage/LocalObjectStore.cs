using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Serverless.Backup.Runner.Processes;

namespace Serverless.Backup.Runner.Storage;

/// <summary>
/// Objects as files under a folder. The runner gives local repositories to restic's own local backend; this
/// store exists for the shared contract suite and for serving a folder through the REST server.
/// </summary>
public sealed class LocalObjectStore(string root) : IObjectStore
{
    private readonly string _root = Path.GetFullPath(root);

    public string Description => $"folder '{_root}'";

    private string PathOf(string key)
    {
        var path = Path.GetFullPath(Path.Combine(_root, key));
        return path.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? path
            : throw new ArgumentException($"key '{key}' leaves the store's folder", nameof(key));
    }

    public Task EnsureContainerAsync(CancellationToken cancellationToken)
    {
        try
        {
            Directory.CreateDirectory(_root);
            return Task.CompletedTask;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageUnreachableException($"{Description} cannot be created ({e.Message}): set REPOSITORY_PATH to a writable folder", e);
        }
    }

    public Task<long?> GetSizeAsync(string key, CancellationToken cancellationToken)
    {
        var file = new FileInfo(PathOf(key));
        return Task.FromResult(file.Exists ? file.Length : (long?)null);
    }

    public Task<Stream> OpenReadAsync(string key, long offset, long? length, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        if (!File.Exists(path))
        {
            throw new ObjectNotFoundException(key);
        }
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true);
        stream.Seek(offset, SeekOrigin.Begin);
        return Task.FromResult<Stream>(length is { } n ? new BoundedStream(stream, n) : stream);
    }

    public async Task<bool> TryCreateAsync(string key, Stream content, long? length, string? sha256, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        if (File.Exists(path))
        {
            return false;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + TempMarker + WriterToken(ProcessIdentity.Current) + "-" + Guid.NewGuid().ToString("N")[..8];
        using var hashing = new HashingStream(content);
        await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true))
        {
            await hashing.CopyToAsync(file, cancellationToken);
        }
        try
        {
            hashing.Verify(key, sha256);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        try
        {
            // Rename without overwrite: an existing object stays as it is.
            File.Move(temp, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temp);
            return false;
        }
    }

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        if (!File.Exists(path))
        {
            return Task.FromResult(false);
        }
        File.Delete(path);
        return Task.FromResult(true);
    }

    private const string TempMarker = ".tmp-";

    /// <summary>
    /// A temporary file names its writer (a hash of the host, the PID and its start time), so that a later run can
    /// tell a write that a kill cut short from one in progress.
    /// </summary>
    public static string WriterToken(ProcessIdentity writer) =>
        $"{HostHash(writer.Host)}-{writer.ProcessId.ToString(CultureInfo.InvariantCulture)}-{writer.StartTicks.ToString(CultureInfo.InvariantCulture)}";

    private static string HostHash(string host) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(host)))[..12];

    public Task<int> RemoveIncompleteAsync(string prefix, bool exclusive, CancellationToken cancellationToken)
    {
        var folder = prefix.LastIndexOf('/') is var slash and > 0 ? Path.Combine(_root, prefix[..slash]) : _root;
        if (!Directory.Exists(folder))
        {
            return Task.FromResult(0);
        }
        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(folder, "*" + TempMarker + "*", SearchOption.AllDirectories))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var token = Path.GetFileName(file)[(Path.GetFileName(file).LastIndexOf(TempMarker, StringComparison.Ordinal) + TempMarker.Length)..].Split('-');
            var mine = token.Length == 4 && token[0] == HostHash(ProcessIdentity.Current.Host)
                && int.TryParse(token[1], CultureInfo.InvariantCulture, out var pid) && long.TryParse(token[2], CultureInfo.InvariantCulture, out var start)
                ? new ProcessIdentity(ProcessIdentity.Current.Host, pid, start)
                : null;
            // Exclusive, every writer but this one has ended; otherwise only a writer of this host known to have ended.
            var ended = mine is null ? exclusive : mine != ProcessIdentity.Current && (exclusive || mine.HasEnded);
            if (ended)
            {
                try
                {
                    File.Delete(file);
                    removed++;
                }
                catch (IOException)
                {
                    // Gone already, or not ours to remove: a later run tries again.
                }
            }
        }
        return Task.FromResult(removed);
    }

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        if (!Directory.Exists(_root))
        {
            yield break;
        }
        // Start at the prefix's folder: listing locks/ need not walk every data file.
        var folder = prefix.LastIndexOf('/') is var slash and > 0 ? Path.Combine(_root, prefix[..slash]) : _root;
        if (!Directory.Exists(folder))
        {
            yield break;
        }
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var key = Path.GetRelativePath(_root, file).Replace(Path.DirectorySeparatorChar, '/');
            if (key.StartsWith(prefix, StringComparison.Ordinal) && !key.Contains(TempMarker, StringComparison.Ordinal))
            {
                yield return new ObjectInfo(key, new FileInfo(file).Length);
            }
        }
    }
}
