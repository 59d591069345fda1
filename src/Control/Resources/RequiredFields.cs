using System.Reflection;

using Serverless.Backup.Core;

namespace Serverless.Backup.Control.Resources;

/// <summary>
/// Finds the fields of a resource that must hold an object but were written as null (YAML `repository: ~` or
/// JSON `"spec": null`): the readers set a model's defaults only for fields that are absent, so a null would
/// otherwise reach code that relies on the field, far from the resource that holds it.
/// </summary>
public static class RequiredFields
{
    /// <summary>Per property, whether it may not be null. NullabilityInfoContext is not thread-safe, so it is asked once per property, under a lock.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<PropertyInfo, bool> NotNullable = new();
    private static readonly Lock Gate = new();

    private static bool IsNotNullable(PropertyInfo property) => NotNullable.GetOrAdd(property, p =>
    {
        lock (Gate)
        {
            return new NullabilityInfoContext().Create(p).ReadState == NullabilityState.NotNull;
        }
    });

    /// <summary>The first null field that may not be null, as a path such as "spec.target.ref", or null.</summary>
    public static string? FirstNull(object? resource)
    {
        if (resource is null)
        {
            return "the document";
        }
        var spec = resource.GetType().GetProperty("Spec");
        return spec is null ? null : Walk(resource, spec, "spec", 0);
    }

    private static string? Walk(object owner, PropertyInfo property, string path, int depth)
    {
        var value = property.GetValue(owner);
        if (value is null)
        {
            return IsNotNullable(property) ? path : null;
        }
        var type = value.GetType();
        // Only the resource model's own records: strings, lists and Kubernetes types are checked where they are read.
        if (depth > 8 || type.Namespace != typeof(RequiredFields).Namespace || !type.IsClass)
        {
            return null;
        }
        foreach (var child in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0 && p.CanRead))
        {
            if (child.PropertyType.IsClass && child.PropertyType != typeof(string) && Walk(value, child, $"{path}.{char.ToLowerInvariant(child.Name[0])}{child.Name[1..]}", depth + 1) is { } found)
            {
                return found;
            }
        }
        return null;
    }
}
