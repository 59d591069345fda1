using Serverless.Backup.Control.Resources;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests.Deployment;

/// <summary>Where the Kubernetes manifests are, and the model types of this project's kinds for KubernetesClient's YAML loader.</summary>
public static class Manifests
{
    public static string Folder { get; } = Path.Combine(TestEnvironment.RepoRoot, "infra", "k8s");

    /// <summary>Every Kubernetes manifest (monitoring/ holds Prometheus rule files and a dashboard, not objects).</summary>
    public static IReadOnlyList<string> All { get; } = Directory.EnumerateFiles(Folder, "*.yaml", SearchOption.AllDirectories)
        .Where(f => !Path.GetRelativePath(Folder, f).StartsWith("monitoring", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal)
        .ToList();

    public static IReadOnlyList<string> Samples { get; } = All.Where(f => f.Contains($"{Path.DirectorySeparatorChar}samples{Path.DirectorySeparatorChar}", StringComparison.Ordinal)).ToList();

    public static IReadOnlyList<string> Crds { get; } = All.Where(f => f.Contains($"{Path.DirectorySeparatorChar}crds{Path.DirectorySeparatorChar}", StringComparison.Ordinal)).ToList();

    public static Dictionary<string, Type> TypeMap { get; } = new[]
    {
        (ResourceType.Repository, typeof(Repository)),
        (ResourceType.BackupConfiguration, typeof(BackupConfiguration)),
        (ResourceType.BackupSession, typeof(BackupSession)),
        (ResourceType.RestoreSession, typeof(RestoreSession)),
        (ResourceType.AppBinding, typeof(AppBinding)),
    }.ToDictionary(t => $"{t.Item1.ApiVersion}/{t.Item1.Kind}", t => t.Item2);
}
