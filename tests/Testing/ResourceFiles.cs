using k8s;

namespace Serverless.Backup.Testing;

/// <summary>Folder-mode resources of one namespace: kubectl-style YAML files under namespace/plural/name.yaml.</summary>
public sealed class ResourceFiles(string root, string ns)
{
    public string Root => root;

    public async Task WriteAsync(string plural, string name, string yaml)
    {
        var folder = Path.Combine(root, ns, plural);
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, name + ".yaml"), yaml);
    }

    public T? Read<T>(string plural, string name) where T : class
    {
        var path = Path.Combine(root, ns, plural, name + ".yaml");
        return File.Exists(path) ? KubernetesYaml.Deserialize<T>(File.ReadAllText(path)) : null;
    }

    public IReadOnlyList<T> ReadAll<T>(string plural)
    {
        var folder = Path.Combine(root, ns, plural);
        return Directory.Exists(folder)
            ? [.. Directory.GetFiles(folder, "*.yaml").Select(f => KubernetesYaml.Deserialize<T>(File.ReadAllText(f)))]
            : [];
    }
}
