using System.Collections;

namespace Serverless.Backup.Control.Cluster;

/// <summary>
/// One list call's answer: the resources that could be read, and the ones that could not (a document that is not
/// YAML, of the wrong shape, too large or too costly to read). One unreadable resource never fails the list.
/// </summary>
public sealed class ResourceListing<T>(IReadOnlyList<T> items, IReadOnlyList<InvalidResource> unreadable) : IReadOnlyList<T>
{
    public IReadOnlyList<InvalidResource> Unreadable { get; } = unreadable;

    public int Count => items.Count;

    public T this[int index] => items[index];

    public IEnumerator<T> GetEnumerator() => items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
