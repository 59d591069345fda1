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
}
