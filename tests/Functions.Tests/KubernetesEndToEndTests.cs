using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Serverless.Backup.Control.Cluster;
using Serverless.Backup.Functions.Tests.Fakes;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests;

/// <summary>
/// Kubernetes mode end to end: the real handler with BACKUP_CLUSTER=kubeconfig against the in-process API server,
/// whose Job controller runs each Job as a real runner process with the Job's environment (secretKeyRefs
/// resolved from the server's Secrets) and writes the Job's status when it ends.
/// </summary>
[Collection(FunctionsCollection.Name)]
public sealed class KubernetesEndToEndTests(FunctionsApp folderApp)
{
    private const string Ns = "prod";
    private const string Group = "apis/backup.serverless.dev/v1alpha1";

    private static JsonObject Yaml(string yaml) =>
        JsonNode.Parse(KubernetesJson.Serialize(KubernetesYaml.Deserialize<object>(yaml)))!.AsObject();

    [Fact]
    public async Task A_triggered_backup_runs_as_a_job_reports_through_the_webhook_and_restores_equal_data()
    {
        var database = folderApp.Database;
        await SampleDatabase.CreateAsync(database, "k8s_shop", extraRows: 2000);
        await using var server = await FakeApiServer.StartAsync();
        var repository = Path.Combine(TestEnvironment.TempFolder("k8s-repo"), "restic");
        var runnerLog = new StringWriter();
        var jobs = new LocalJobRunner(["dotnet", RunnerProcess.RunnerDll], TextWriter.Synchronized(runnerLog));
        server.OnJobCreated = json =>
        {
            var job = KubernetesJson.Deserialize<V1Job>(json.ToJsonString());
            jobs.Start(job, (ns, name) => SecretValues(server, ns, name), state => server.Mutate("apis/batch/v1", "jobs", Ns, job.Metadata.Name, stored =>
                stored["status"] = state.Outcome == JobOutcome.Succeeded
                    ? new JsonObject { ["succeeded"] = 1, ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Complete", ["status"] = "True" }) }
                    : new JsonObject { ["failed"] = 1, ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Failed", ["status"] = "True", ["reason"] = state.Reason, ["message"] = state.Message }) }));
        };
        server.Seed(Group, "repositories", Yaml($$"""
            apiVersion: backup.serverless.dev/v1alpha1
            kind: Repository
            metadata: { name: local, namespace: {{Ns}} }
            spec: { backend: { storageSecretName: repo-secret, local: { mountPath: "{{repository}}" } } }
            """));
        server.Seed("api/v1", "secrets", Yaml($$"""
            apiVersion: v1
            kind: Secret
            metadata: { name: repo-secret, namespace: {{Ns}} }
            data: { RESTIC_PASSWORD: {{Convert.ToBase64String("k8s-password"u8.ToArray())}} }
            """));
        server.Seed("apis/appcatalog.appscode.com/v1alpha1", "appbindings", Yaml($$"""
            apiVersion: appcatalog.appscode.com/v1alpha1
            kind: AppBinding
            metadata: { name: shop-db, namespace: {{Ns}} }
            spec: { clientConfig: { url: "tcp(127.0.0.1:{{database.Port}})/" }, secret: { name: shop-db-auth } }
            """));
        server.Seed("api/v1", "secrets", Yaml($$"""
            apiVersion: v1
            kind: Secret
            metadata: { name: shop-db-auth, namespace: {{Ns}} }
            data: { username: {{Convert.ToBase64String(Encoding.UTF8.GetBytes(MariaDbServer.User))}}, password: {{Convert.ToBase64String(Encoding.UTF8.GetBytes(MariaDbServer.Password))}} }
            """));
        server.Seed(Group, "backupconfigurations", Yaml($$"""
            apiVersion: backup.serverless.dev/v1alpha1
            kind: BackupConfiguration
            metadata: { name: shop, namespace: {{Ns}} }
            spec:
              schedule: "0 3 * * *"
              repository: { name: local }
              target: { ref: { apiVersion: appcatalog.appscode.com/v1alpha1, kind: AppBinding, name: shop-db }, databases: [k8s_shop] }
            """));

        await using var handler = await KubeconfigHandler.StartAsync(server);
        var http = handler.Http;

        var trigger = await http.PostAsync($"/api/backups/{Ns}/shop", null);
        Assert.True(trigger.StatusCode == HttpStatusCode.Accepted, await trigger.Content.ReadAsStringAsync() + handler.Output);
        var session = (await trigger.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("session").GetString()!;
        var done = await WaitAsync(handler, "backupsessions", session);

        Assert.True(done.GetProperty("phase").GetString() == "Succeeded", done + "\n" + handler.Output + runnerLog);
        Assert.Equal("k8s_shop", done.GetProperty("stats")[0].GetProperty("database").GetString());
        var job = server.Get("apis/batch/v1", "jobs", Ns, session)!;
        Assert.Equal(session, job["metadata"]!["ownerReferences"]![0]!["name"]!.GetValue<string>());
        Assert.NotNull(server.Get("api/v1", "secrets", Ns, session + "-webhook"));

        var restore = await http.PostAsJsonAsync($"/api/restores/{Ns}", new { repository = "local", target = "shop-db", fromSession = session, rename = new Dictionary<string, string> { ["k8s_shop"] = "k8s_shop_back" } });
        Assert.Equal(HttpStatusCode.Accepted, restore.StatusCode);
        var restoreName = (await restore.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("session").GetString()!;
        var restored = await WaitAsync(handler, "restoresessions", restoreName);

        Assert.True(restored.GetProperty("phase").GetString() == "Succeeded", restored + "\n" + handler.Output + runnerLog);
        Assert.Equal(await SampleDatabase.FingerprintAsync(database, "k8s_shop"), await SampleDatabase.FingerprintAsync(database, "k8s_shop_back"));
    }

    private static IReadOnlyDictionary<string, string>? SecretValues(FakeApiServer server, string ns, string name)
    {
        var secret = server.Get("api/v1", "secrets", ns, name);
        if (secret is null)
        {
            return null;
        }
        var values = new Dictionary<string, string>();
        foreach (var (key, value) in secret["data"]?.AsObject() ?? [])
        {
            values[key] = Encoding.UTF8.GetString(Convert.FromBase64String(value!.GetValue<string>()));
        }
        foreach (var (key, value) in secret["stringData"]?.AsObject() ?? [])
        {
            values[key] = value!.GetValue<string>();
        }
        return values;
    }

    /// <summary>Fires Reconcile as the host would, until the session is final.</summary>
    private static async Task<JsonElement> WaitAsync(KubeconfigHandler handler, string plural, string name)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        JsonElement session = default;
        while (DateTime.UtcNow < deadline)
        {
            (await handler.Http.PostAsync("/admin/functions/Reconcile", null)).EnsureSuccessStatusCode();
            var response = await handler.Http.GetAsync($"/api/sessions/{Ns}/{plural}/{name}");
            if (response.IsSuccessStatusCode)
            {
                session = await response.Content.ReadFromJsonAsync<JsonElement>();
                if (session.GetProperty("phase").GetString() is "Succeeded" or "Failed")
                {
                    return session;
                }
            }
            await Task.Delay(500);
        }
        throw new TimeoutException($"{plural} {name} did not finish: {session}\n{handler.Output}");
    }
}
