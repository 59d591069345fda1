namespace Serverless.Backup.Runner.Storage;

/// <summary>An object in a store: its key relative to the repository's prefix, and its size in bytes.</summary>
public sealed record ObjectInfo(string Key, long Size);

/// <summary>
/// Where the repository's objects live: Azure Blob, S3, or a folder. Keys are relative to the repository's
/// prefix and use '/' separators (restic's layout: <c>config</c>, <c>keys/ID</c>, <c>data/ab/ID</c>…).
/// Every implementation passes the same contract test suite.
/// </summary>
public interface IObjectStore
{
    /// <summary>Where the objects are, for messages ("azure container 'x' at https://…"); never holds a secret.</summary>
    string Description { get; }

    /// <summary>
    /// Creates the container, bucket or folder when it is missing and proves the credentials work. Throws
    /// <see cref="StorageUnreachableException"/> naming the endpoint and the setting to fix when they do not.
    /// </summary>
    Task EnsureContainerAsync(CancellationToken cancellationToken);

    /// <summary>The object's size, or null when there is no such object.</summary>
    Task<long?> GetSizeAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Reads <paramref name="length"/> bytes (all to the end when null) from <paramref name="offset"/>.
    /// Throws <see cref="ObjectNotFoundException"/> when there is no such object.
    /// </summary>
    Task<Stream> OpenReadAsync(string key, long offset, long? length, CancellationToken cancellationToken);

    /// <summary>
    /// Stores an object unless one exists under the key: an existing object is never overwritten.
    /// Returns false (and writes nothing) when the key exists. When <paramref name="sha256"/> is given, the
    /// content's SHA-256 must equal it, or nothing is stored and <see cref="ContentMismatchException"/> is thrown.
    /// The content is streamed: a store holds at most a bounded chunk of it in memory.
    /// </summary>
    Task<bool> TryCreateAsync(string key, Stream content, long? length, string? sha256, CancellationToken cancellationToken);

    /// <summary>Deletes the object; returns false when there was none.</summary>
    Task<bool> DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>Every object whose key starts with <paramref name="prefix"/> (recursively), in no particular order.</summary>
    IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>
    /// Removes what writers that have ended left half-written under <paramref name="prefix"/> (all of it when
    /// <paramref name="exclusive"/>: no other session is active). Blob stores commit an object whole, so only a
    /// folder has any. Returns how many were removed.
    /// </summary>
    Task<int> RemoveIncompleteAsync(string prefix, bool exclusive, CancellationToken cancellationToken) => Task.FromResult(0);
}

/// <summary>The uploaded content does not hash to the name it was sent under; nothing was stored.</summary>
public sealed class ContentMismatchException(string key, string actual) : Exception($"the content of '{key}' has SHA-256 {actual}, which is not its name")
{
    public string Actual { get; } = actual;
}

/// <summary>There is no object under the key.</summary>
public sealed class ObjectNotFoundException(string key) : Exception($"no object '{key}'")
{
    public string Key { get; } = key;
}
