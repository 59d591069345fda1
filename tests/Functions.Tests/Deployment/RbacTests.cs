using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Core.Webhook;
using Serverless.Backup.Control.Endpoints;
using Serverless.Backup.Functions.Tests.Fakes;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests.Deployment;

/// <summary>
/// The Functions app's ClusterRole (infra/k8s/rbac/functions-app.yaml) against the calls the app really makes:
/// the real handler (kubeconfig mode) runs every function of <see cref="FunctionCatalog"/> for a few rounds
/// against the in-process API server, through sessions that are created, fail, report and get trimmed, and
/// each request it sent is mapped to (group, resource, verb). A new function or a new call shows up here by
/// itself: there is no hand-kept list of calls.
/// </summary>
public sealed class RbacTests
{
    private const string Ns = "prod";
    private const string Group = "apis/" + Api.ApiVersion;
    private const string RoleFile = "rbac/functions-app.yaml";

    [Fact]
    public async Task The_functions_app_role_grants_every_call_the_app_makes_and_nothing_else()
    {
        var used = await CallsOfAllFunctionsAsync();
        var role = Role();
        var granted = role.Rules.SelectMany(r => r.ApiGroups.SelectMany(g => r.Resources.SelectMany(res => r.Verbs.Select(v => new ApiCall(g, res, v))))).ToHashSet();

        var missing = used.Where(c => !granted.Contains(c)).Select(c => c.ToString()).Order().ToList();
        var unused = granted.Where(g => !used.Contains(g)).Select(c => c.ToString()).Order().ToList();
        Assert.True(missing.Count == 0, $"{RoleFile} does not grant what the app calls: {string.Join("; ", missing)}");
        Assert.True(unused.Count == 0, $"{RoleFile} grants what the app never calls: {string.Join("; ", unused)}");
        Assert.DoesNotContain(role.Rules, r => r.Verbs.Contains("*") || r.Resources.Contains("*") || r.ApiGroups.Contains("*"));
    }

    [Fact]
    public void The_role_is_bound_to_the_functions_app_identity_and_to_nothing_else()
    {
        var objects = KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(Manifests.Folder, RoleFile)));
        var binding = Assert.Single(objects.OfType<V1ClusterRoleBinding>());

        Assert.Equal(Role().Metadata.Name, binding.RoleRef.Name);
        Assert.Equal("ClusterRole", binding.RoleRef.Kind);
        // The app's managed identity, by object id: AKS with Entra ID authenticates it as this user.
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal("User", subject.Kind);
    }

    private static V1ClusterRole Role() =>
        Assert.Single(KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(Manifests.Folder, RoleFile))).OfType<V1ClusterRole>());

    private static JsonObject Yaml(string yaml) => JsonNode.Parse(KubernetesJson.Serialize(KubernetesYaml.Deserialize<object>(yaml)))!.AsObject();

    private static async Task<HashSet<ApiCall>> CallsOfAllFunctionsAsync()
    {
        await using var server = await FakeApiServer.StartAsync();
        // The Job controller of this cluster fails every Job at once: Reconcile then reads the pod's termination
        // message and settles the session, and the history limit trims the failed sessions.
        server.OnJobCreated = job => server.Mutate("apis/batch/v1", "jobs", Ns, job["metadata"]!["name"]!.GetValue<string>(), stored =>
            stored["status"] = new JsonObject { ["failed"] = 1, ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Failed", ["status"] = "True", ["reason"] = "BackoffLimitExceeded" }) });
        Seed(server);

        await using (var handler = await KubeconfigHandler.StartAsync(server))
        {
            var sessions = new Dictionary<string, string>();
            for (var round = 0; round < 5; round++)
            {
                foreach (var function in FunctionCatalog.All)
                {
                    await InvokeAsync(handler.Http, server, function, sessions);
                }
                // Time passes: the next tick sees its slot as new again, which is when it trims the history.
                server.Mutate(Group, "backupconfigurations", Ns, "shop", c => c["status"]?.AsObject().Remove("lastScheduleTime"));
                server.Mutate(Group, "repositories", Ns, "repo", r => r["status"]?.AsObject().Remove("lastCheckScheduleTime"));
            }
        }
        List<string> requests;
        lock (server.Requests)
        {
            requests = [.. server.Requests];
        }
        Assert.True(requests.Count > 0, "the app made no API call");
        return requests.Select(ApiCall.FromRequest).OfType<ApiCall>().ToHashSet();
    }

    /// <summary>
    /// Invokes one function as the host would: a timer with the host's body, an HTTP function on its route
    /// once for each kind of session, the webhook signed for the sessions the HTTP functions created.
    /// </summary>
    private static async Task InvokeAsync(HttpClient http, FakeApiServer server, FunctionDefinition function, Dictionary<string, string> sessions)
    {
        if (function.Trigger is TimerTrigger)
        {
            (await http.PostAsync("/admin/functions/" + function.Name, null)).EnsureSuccessStatusCode();
            return;
        }
        var trigger = (HttpTrigger)function.Trigger;
        foreach (var (kind, plural) in new[] { ("BackupSession", "backupsessions"), ("RestoreSession", "restoresessions"), ("MaintenanceSession", "maintenancesessions") })
        {
            var route = trigger.Route
                .Replace("{namespace}", Ns, StringComparison.Ordinal)
                .Replace("{name}", trigger.Route.StartsWith("repositories/", StringComparison.Ordinal) ? "repo" : "shop", StringComparison.Ordinal)
                .Replace("{kind}", plural, StringComparison.Ordinal);
            using var request = new HttpRequestMessage(new HttpMethod(trigger.Method.ToUpperInvariant()), $"/{Routes.Prefix}/{route}");
            if (function == FunctionCatalog.SessionEvents)
            {
                if (!sessions.TryGetValue(kind, out var session))
                {
                    continue;
                }
                SignEvent(request, server, kind, plural, session);
            }
            else if (function == FunctionCatalog.StartMaintenance)
            {
                // Named, so that each request makes a session (generated names have one-second resolution).
                request.Content = JsonContent.Create(new { task = "check", name = $"check-{Guid.NewGuid():N}"[..14] });
            }
            else if (trigger.Method == "post")
            {
                request.Content = JsonContent.Create(new { repository = "repo", target = "shop-db" });
            }
            using var response = await http.SendAsync(request);
            var created = response.StatusCode == System.Net.HttpStatusCode.Accepted
                ? (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("session").GetString()
                : null;
            if (created is not null)
            {
                sessions[function == FunctionCatalog.CreateRestore ? "RestoreSession" : function == FunctionCatalog.StartMaintenance ? "MaintenanceSession" : "BackupSession"] = created;
            }
        }
    }

    private static void SignEvent(HttpRequestMessage request, FakeApiServer server, string kind, string plural, string session)
    {
        var uid = server.Get(Group, plural, Ns, session)?["metadata"]?["uid"]?.GetValue<string>() ?? "gone";
        var token = WebhookSignature.DeriveToken(FunctionsApp.MasterKey, new SessionIdentity(Ns, kind, session, uid));
        var now = DateTimeOffset.UtcNow;
        // A backup and a check finish with a report on the repository (written to Repository.status); a restore starts.
        var body = kind switch
        {
            "BackupSession" => $$"""{"type":"succeeded","databases":[{"database":"shop","snapshotId":"0123abcd","bytes":10,"sha256":"{{new string('a', 64)}}","durationSeconds":1}],"durationSeconds":1,"repository":{"snapshotCount":1,"totalSizeBytes":100},"verb":"backup","namespace":"{{Ns}}","session":"{{session}}","time":"{{now:O}}"}""",
            "MaintenanceSession" => $$"""{"type":"succeeded","databases":[],"durationSeconds":1,"repository":{"snapshotCount":1,"integrity":true},"verb":"check","namespace":"{{Ns}}","session":"{{session}}","time":"{{now:O}}"}""",
            _ => $$"""{"type":"started","databases":["shop"],"verb":"restore","namespace":"{{Ns}}","session":"{{session}}","time":"{{now:O}}"}""",
        };
        request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        request.Headers.Add(WebhookSignature.SessionHeader, $"{Ns}/{kind}/{session}");
        request.Headers.Add(WebhookSignature.TimestampHeader, now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(token, now.ToUnixTimeSeconds(), Encoding.UTF8.GetBytes(body)));
    }

    private static void Seed(FakeApiServer server)
    {
        server.Seed(Group, "repositories", Yaml($$"""
            apiVersion: backup.serverless.dev/v1alpha1
            kind: Repository
            metadata: { name: repo, namespace: {{Ns}} }
            spec:
              backend: { storageSecretName: repo-secret, azure: { container: backups, storageAccount: account } }
              check: { schedule: "* * * * *", readDataSubset: 5% }
            """));
        server.Seed("apis/appcatalog.appscode.com/v1alpha1", "appbindings", Yaml($$"""
            apiVersion: appcatalog.appscode.com/v1alpha1
            kind: AppBinding
            metadata: { name: shop-db, namespace: {{Ns}} }
            spec: { clientConfig: { service: { name: shop-db, port: 3306 } }, secret: { name: shop-db-auth } }
            """));
        server.Seed(Group, "backupconfigurations", Yaml($$"""
            apiVersion: backup.serverless.dev/v1alpha1
            kind: BackupConfiguration
            metadata: { name: shop, namespace: {{Ns}} }
            spec:
              schedule: "* * * * *"
              startingDeadlineSeconds: 86400
              repository: { name: repo }
              target: { ref: { apiVersion: appcatalog.appscode.com/v1alpha1, kind: AppBinding, name: shop-db } }
              retentionPolicy: { name: keep, keepLast: 3, prune: true }
              backupHistoryLimit: 1
            """));
    }
}
