using k8s;
using Microsoft.Extensions.Logging;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Cluster;
using Serverless.Backup.Control;
using Serverless.Backup.Control.Jobs;
using Serverless.Backup.Control.Observability;
using Serverless.Backup.Control.Settings;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests.Hardening;

/// <summary>
/// The control plane over a folder of YAML documents, as folder mode runs it, with Jobs as local processes of a
/// stand-in command, and its log captured; files are written as a user would write them, bad ones included.
/// </summary>
public sealed class FolderControlPlane : IDisposable
{
    public const string Namespace = "prod";
    private readonly StringWriter _log = new();

    private readonly bool _owned;

    /// <summary>A control plane over <paramref name="folder"/> (another instance's, or after a restart), else over a new folder with the base resources.</summary>
    public FolderControlPlane(string? folder = null, string jobCommand = "exit 0")
    {
        _owned = folder is null;
        Folder = folder ?? TestEnvironment.TempFolder("folder-control");
        Settings = new AppSettings { Cluster = ClusterMode.Folder, ResourcesFolder = Folder, WebhookMasterKey = "test-master-key-0123456789abcdefghijklmnop", WebhookBaseUrl = "http://127.0.0.1:9" };
        Gateway = new FolderGateway(Folder, new LocalJobRunner(["sh", "-c", jobCommand], TextWriter.Null));
        var loggers = JsonLogCapture.To(_log);
        Control = new ControlPlane(Gateway, Settings, new RunnerJobOptions { Image = "runner:test", WebhookBaseUrl = "http://127.0.0.1:9" }, TimeProvider.System, Metrics, loggers.CreateLogger<ControlPlane>());
        Maintenance = new MaintenanceScheduler(Gateway, Settings, TimeProvider.System, Metrics, loggers.CreateLogger<MaintenanceScheduler>());
        Repositories = new RepositoryApi(Gateway, Maintenance, Metrics, Settings, TimeProvider.System);
        Sessions = new SessionApi(Gateway, Control, TimeProvider.System);
        if (!_owned)
        {
            return;
        }
        Write("repositories", "repo", """
            apiVersion: backup.serverless.dev/v1alpha1
            kind: Repository
            metadata: { name: repo, namespace: prod }
            spec:
              backend: { storageSecretName: repo-secret, local: { mountPath: /backups } }
              check: { schedule: "* * * * *" }
            """);
        Write("appbindings", "shop-db", """
            apiVersion: appcatalog.appscode.com/v1alpha1
            kind: AppBinding
            metadata: { name: shop-db, namespace: prod }
            spec: { clientConfig: { url: "tcp(127.0.0.1:9)/" }, secret: { name: shop-db-auth } }
            """);
    }

    public string Folder { get; }
    public AppSettings Settings { get; }
    public FolderGateway Gateway { get; }
    public ControlPlaneMetrics Metrics { get; } = new();
    public ControlPlane Control { get; }
    public MaintenanceScheduler Maintenance { get; }
    public RepositoryApi Repositories { get; }
    public SessionApi Sessions { get; }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>A BackupConfiguration every minute into the shared repository, with optional extra spec lines.</summary>
    public void WriteConfiguration(string name, string extraSpec = "", string schedule = "* * * * *", string repository = "repo") =>
        Write("backupconfigurations", name, $$"""
            apiVersion: backup.serverless.dev/v1alpha1
            kind: BackupConfiguration
            metadata: { name: {{name}}, namespace: prod }
            spec:
              schedule: "{{schedule}}"
              repository: { name: {{repository}} }
              target: { ref: { apiVersion: appcatalog.appscode.com/v1alpha1, kind: AppBinding, name: shop-db } }
            {{extraSpec}}
            """);

    public void Write(string plural, string name, string text)
    {
        var folder = Path.Combine(Folder, Namespace, plural);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, name + ".yaml"), text);
    }

    public T? Read<T>(string plural, string name) where T : class
    {
        var path = Path.Combine(Folder, Namespace, plural, name + ".yaml");
        return File.Exists(path) ? KubernetesYaml.Deserialize<T>(File.ReadAllText(path)) : null;
    }

    public IReadOnlyList<BackupSession> BackupSessions() =>
        Directory.Exists(Path.Combine(Folder, Namespace, "backupsessions"))
            ? Directory.GetFiles(Path.Combine(Folder, Namespace, "backupsessions"), "*.yaml").Select(f => KubernetesYaml.Deserialize<BackupSession>(File.ReadAllText(f))).ToList()
            : [];

    public async Task<string> MetricsTextAsync()
    {
        using var buffer = new MemoryStream();
        await Repositories.WriteMetricsAsync(buffer, CancellationToken.None);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    public void Dispose()
    {
        if (!_owned)
        {
            return;
        }
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A Job process may still be writing its state; the temporary folder goes with the machine.
        }
    }
}
