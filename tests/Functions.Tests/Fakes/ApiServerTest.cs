using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Core.Webhook;
using Serverless.Backup.Control.Cluster;
using Serverless.Backup.Control;
using Serverless.Backup.Control.Settings;
using Serverless.Backup.Control.Jobs;
using Serverless.Backup.Control.Observability;

namespace Serverless.Backup.Functions.Tests.Fakes;

/// <summary>
/// A test class with its own fake API server and a real KubernetesClient for it, started before each test and
/// stopped after; resources are seeded from YAML as a user would write them.
/// </summary>
public abstract class ApiServerTest : IAsyncLifetime
{
    protected const string Crd = "apis/" + Api.ApiVersion;
    protected const string AppCatalog = "apis/appcatalog.appscode.com/v1alpha1";

    protected FakeApiServer Server { get; private set; } = null!;
    protected Kubernetes Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await FakeApiServer.StartAsync();
        Client = new Kubernetes(new KubernetesClientConfiguration { Host = Server.Url.ToString() });
        await SeedAsync();
    }

    /// <summary>What every test of the class starts with.</summary>
    protected virtual Task SeedAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }

    /// <summary>Stores a resource written as YAML, after a round trip through the client's own model.</summary>
    protected JsonObject Seed<T>(string plural, string yaml, string prefix = Crd) where T : class, IKubernetesObject<V1ObjectMeta>, new() =>
        Server.Seed(prefix, plural, JsonNode.Parse(KubernetesJson.Serialize(KubernetesYaml.Deserialize<T>(yaml)))!.AsObject());

    /// <summary>The webhook master key of every control plane these tests build.</summary>
    protected const string MasterKey = "test-master-key-0123456789abcdefghijklmnop";

    /// <summary>
    /// Delivers a body to the real webhook (SessionEvents over the real KubernetesClient), signed at
    /// <paramref name="signedAt"/> with the token of session prod/<paramref name="kind"/>/<paramref name="name"/>
    /// (its uid read from the store), or with <paramref name="token"/>.
    /// </summary>
    protected async Task<WebhookResult> DeliverAsync(string kind, string name, string body, DateTimeOffset signedAt, string? token = null)
    {
        var plural = kind switch { "MaintenanceSession" => "maintenancesessions", "RestoreSession" => "restoresessions", _ => "backupsessions" };
        var uid = Server.Get(Crd, plural, "prod", name)?["metadata"]?["uid"]?.GetValue<string>() ?? "";
        token ??= WebhookSignature.DeriveToken(MasterKey, new SessionIdentity("prod", kind, name, uid));
        var bytes = Encoding.UTF8.GetBytes(body);
        var timestamp = signedAt.ToUnixTimeSeconds();
        var events = new SessionEvents(new KubernetesGateway(Client), new AppSettings { WebhookMasterKey = MasterKey }, TimeProvider.System);
        return await events.HandleAsync($"prod/{kind}/{name}", timestamp.ToString(CultureInfo.InvariantCulture), WebhookSignature.Sign(token, timestamp, bytes), bytes, CancellationToken.None);
    }

    /// <summary>The AppBinding prod/shop-db (the database every configuration of these tests backs up).</summary>
    protected JsonObject SeedAppBinding() => Seed<AppBinding>("appbindings", """
        apiVersion: appcatalog.appscode.com/v1alpha1
        kind: AppBinding
        metadata: { name: shop-db, namespace: prod }
        spec: { clientConfig: { url: "tcp(mariadb:3306)/" }, secret: { name: shop-db-auth } }
        """, AppCatalog);

    /// <summary>The app settings of the control planes these tests build (the API server through a kubeconfig).</summary>
    protected static AppSettings ControlSettings => new() { Cluster = ClusterMode.Kubeconfig, WebhookMasterKey = MasterKey, WebhookBaseUrl = "https://app.example.net" };

    /// <summary>A control plane over the fake API server on <paramref name="clock"/>.</summary>
    protected ControlPlane ControlPlaneAt(TimeProvider clock) =>
        new(new KubernetesGateway(Client), ControlSettings, new RunnerJobOptions { Image = "runner:test", WebhookBaseUrl = "https://app.example.net" }, clock);

    /// <summary>The status of prod/<paramref name="name"/> of a custom resource type.</summary>
    protected JsonNode? StatusOf(string plural, string name) => Server.Get(Crd, plural, "prod", name)?["status"];

    /// <summary>The Job prod/<paramref name="name"/>, or null.</summary>
    protected JsonObject? JobOf(string name) => Server.Get("apis/batch/v1", "jobs", "prod", name);

    /// <summary>The plain value of an environment variable of the Job's container (null when absent or from a secret).</summary>
    protected string? JobEnvValue(string job, string name) => JobOf(job)?["spec"]?["template"]?["spec"]?["containers"]?[0]?["env"]?.AsArray()
        .FirstOrDefault(e => e?["name"]?.GetValue<string>() == name)?["value"]?.GetValue<string>();

    /// <summary>GET /api/metrics as the app would answer it now.</summary>
    protected async Task<string> ScrapeMetricsAsync(TimeProvider clock)
    {
        var gateway = new KubernetesGateway(Client);
        var api = new RepositoryApi(gateway, new MaintenanceScheduler(gateway, ControlSettings, clock), new ControlPlaneMetrics(), ControlSettings, clock);
        using var buffer = new MemoryStream();
        await api.WriteMetricsAsync(buffer, CancellationToken.None);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}

/// <summary>A clock a test sets and moves.</summary>
public sealed class TestClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
