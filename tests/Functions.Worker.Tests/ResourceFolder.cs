using k8s;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Worker.Tests;

/// <summary>A folder-mode cluster: resources as kubectl-style YAML files under namespace/plural/name.yaml.</summary>
public sealed class ResourceFolder : IDisposable
{
    public const string Namespace = "shop";

    public string Path { get; } = TestEnvironment.TempFolder("worker-resources");

    private ResourceFiles Files => new(Path, Namespace);

    public Task WriteAsync(string plural, string name, string yaml) => Files.WriteAsync(plural, name, yaml);

    public T? Read<T>(string plural, string name) where T : class => Files.Read<T>(plural, name);

    public IReadOnlyList<BackupSession> BackupSessions() => Files.ReadAll<BackupSession>("backupsessions");

    /// <summary>
    /// A Repository, an AppBinding and their Secrets, enough for a valid BackupConfiguration. The database is a
    /// closed loopback port: these tests create sessions, they run no runner.
    /// </summary>
    public async Task WriteBaseResourcesAsync()
    {
        await WriteRepositoryAsync("local");
        await WriteAsync("secrets", "repo-secret", $$"""
            apiVersion: v1
            kind: Secret
            metadata: { name: repo-secret, namespace: {{Namespace}} }
            stringData: { RESTIC_PASSWORD: "worker-test-password" }
            """);
        await WriteAsync("appbindings", "shop-db", $$"""
            apiVersion: appcatalog.appscode.com/v1alpha1
            kind: AppBinding
            metadata: { name: shop-db, namespace: {{Namespace}} }
            spec:
              clientConfig: { url: "tcp(127.0.0.1:{{TestEnvironment.FreePort()}})/" }
              secret: { name: shop-db-auth }
            """);
        await WriteAsync("secrets", "shop-db-auth", $$"""
            apiVersion: v1
            kind: Secret
            metadata: { name: shop-db-auth, namespace: {{Namespace}} }
            stringData: { username: backup, password: "not-used" }
            """);
    }

    /// <summary>
    /// A Repository on a local folder, with the base resources' password Secret. Tests that start sessions use a
    /// repository of their own: a session still Pending on a shared one would make theirs Skipped (one at a time).
    /// </summary>
    public Task WriteRepositoryAsync(string name) => WriteAsync("repositories", name, $$"""
        apiVersion: backup.serverless.dev/v1alpha1
        kind: Repository
        metadata: { name: {{name}}, namespace: {{Namespace}} }
        spec:
          backend:
            storageSecretName: repo-secret
            local: { mountPath: "{{System.IO.Path.Combine(Path, "restic-" + name)}}" }
        """);

    /// <summary>A BackupConfiguration of the AppBinding shop-db; "* * * * *" is due every minute.</summary>
    public Task WriteConfigurationAsync(string name, string schedule, string repository = "local", bool paused = false) => WriteAsync("backupconfigurations", name, $$"""
        apiVersion: backup.serverless.dev/v1alpha1
        kind: BackupConfiguration
        metadata: { name: {{name}}, namespace: {{Namespace}} }
        spec: { schedule: "{{schedule}}", paused: {{(paused ? "true" : "false")}}, repository: { name: {{repository}} }, target: { ref: { name: shop-db } } }
        """);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A worker that was killed may still hold a lock file for a moment; the temporary folder is left.
        }
    }
}
