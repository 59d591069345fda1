using System.Net;
using System.Text.Json;
using k8s;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests.Hardening;

/// <summary>
/// Standalone mode, as the real process runs it: every route but the health probe needs the API key, routing
/// errors answer with the API's problem-details body, and two app instances sharing one folder keep one session
/// per slot and one backup per repository however their ticks collide.
/// </summary>
[Collection(FunctionsCollection.Name)]
public sealed class StandaloneHardeningTests
{
    private static async Task<JsonElement> ProblemOf(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal((int)response.StatusCode, body.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("title").GetString()));
        Assert.Equal(body.GetProperty("detail").GetString(), body.GetProperty("error").GetString());
        return body;
    }

    [Fact]
    public async Task Timer_routes_need_the_api_key_and_routing_errors_answer_with_problem_details()
    {
        await using var app = StandaloneApp.Start(TestEnvironment.TempFolder("standalone-keys"));
        await app.WaitReadyAsync();

        foreach (var timer in new[] { "ScheduleTick", "Reconcile", "MaintenanceTick" })
        {
            foreach (var key in new[] { null, "", "wrong", StandaloneApp.ApiKey + "x", StandaloneApp.ApiKey[..^1] })
            {
                var refused = await app.FireTimerAsync(timer, "{}", key);
                Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
                Assert.Contains("x-functions-key", (await ProblemOf(refused)).GetProperty("detail").GetString());
            }
            var malformed = await app.FireTimerAsync(timer, "{not json");
            Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
            await ProblemOf(malformed);
            Assert.Equal(HttpStatusCode.OK, (await app.FireTimerAsync(timer)).StatusCode);
            var fired = await app.FireTimerAsync(timer, """{"input": ""}""");
            Assert.Equal(HttpStatusCode.OK, fired.StatusCode);
            var answer = JsonDocument.Parse(await fired.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(timer, answer.GetProperty("function").GetString());
            Assert.StartsWith(timer + ":", answer.GetProperty("summary").GetString());
        }
        // Only timers can be fired, and only those that exist; the name is never a path.
        foreach (var (name, status) in new[] { ("TriggerBackup", HttpStatusCode.BadRequest), ("Nothing", HttpStatusCode.NotFound), ("scheduletick", HttpStatusCode.NotFound), ("..%2FScheduleTick", HttpStatusCode.NotFound) })
        {
            var wrong = await app.FireTimerAsync(name);
            Assert.Equal(status, wrong.StatusCode);
            await ProblemOf(wrong);
        }
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await app.SendAsync(HttpMethod.Get, "/admin/functions/ScheduleTick")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.SendAsync(HttpMethod.Get, "/api/metrics", key: null)).StatusCode);

        var notFound = await app.SendAsync(HttpMethod.Get, "/api/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.Contains("/api/nothing-here", (await ProblemOf(notFound)).GetProperty("detail").GetString());
        var wrongMethod = await app.SendAsync(HttpMethod.Delete, "/api/sessions");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        await ProblemOf(wrongMethod);
        var longTarget = await app.SendAsync(HttpMethod.Get, "/api/sessions?namespace=" + new string('a', 20_000));
        Assert.Equal(HttpStatusCode.RequestUriTooLong, longTarget.StatusCode);
        await ProblemOf(longTarget);
        var tooLarge = await app.SendAsync(HttpMethod.Post, "/api/restores/shop", new string(' ', (1 << 20) + 10));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        await ProblemOf(tooLarge);
        var badName = await app.SendAsync(HttpMethod.Post, "/api/backups/Not_A_Namespace/x");
        Assert.Equal(HttpStatusCode.BadRequest, badName.StatusCode);
        await ProblemOf(badName);
        var longTimeout = await app.SendAsync(HttpMethod.Post, "/api/repositories/shop/none/maintenance", """{"task":"check","timeOut":"99999999999h"}""");
        Assert.Equal(HttpStatusCode.BadRequest, longTimeout.StatusCode);
        Assert.Contains("timeOut", (await ProblemOf(longTimeout)).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.OK, (await app.Http.GetAsync("/")).StatusCode);
    }

    [Fact]
    public async Task A_timer_whose_tick_cannot_run_fails_its_invocation_so_the_host_records_a_failure()
    {
        var kubeconfig = Path.Combine(TestEnvironment.TempFolder("unreachable"), "config");
        await File.WriteAllTextAsync(kubeconfig, $$"""
            apiVersion: v1
            kind: Config
            clusters: [{ name: c, cluster: { server: "http://127.0.0.1:{{TestEnvironment.FreePort()}}" } }]
            users: [{ name: u, user: { token: t } }]
            contexts: [{ name: x, context: { cluster: c, user: u } }]
            current-context: x
            """);
        await using var app = StandaloneApp.Start(TestEnvironment.TempFolder("unused"), timers: false,
            environment: new Dictionary<string, string> { ["BACKUP_CLUSTER"] = "kubeconfig", ["BACKUP_KUBECONFIG"] = kubeconfig });
        await app.WaitReadyAsync();

        foreach (var timer in new[] { "ScheduleTick", "Reconcile", "MaintenanceTick" })
        {
            var answer = await app.FireTimerAsync(timer);
            Assert.Equal(HttpStatusCode.InternalServerError, answer.StatusCode);
            Assert.StartsWith($"{timer} failed: HttpRequestException", (await ProblemOf(answer)).GetProperty("detail").GetString());
        }
        Assert.Contains(app.Output.Split('\n').Where(LogLine.IsLogLine).Select(LogLine.Parse), l => l.Level == "Error" && l.Message.StartsWith("ScheduleTick failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_session_file_that_cannot_be_read_is_a_422_naming_it_not_a_server_error()
    {
        var folder = TestEnvironment.TempFolder("standalone-bad-file");
        Directory.CreateDirectory(Path.Combine(folder, "shop", "backupsessions"));
        await File.WriteAllTextAsync(Path.Combine(folder, "shop", "backupsessions", "broken.yaml"), "spec: [");
        await using var app = StandaloneApp.Start(folder);
        await app.WaitReadyAsync();

        var get = await app.SendAsync(HttpMethod.Get, "/api/sessions/shop/backupsessions/broken");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, get.StatusCode);
        Assert.Contains("broken.yaml", (await ProblemOf(get)).GetProperty("detail").GetString());
        var list = await app.SendAsync(HttpMethod.Get, "/api/sessions?namespace=shop");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal("broken", JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement.GetProperty("invalid")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task Two_instances_sharing_one_folder_firing_sixty_ticks_at_once_keep_one_session_per_slot_and_one_backup_per_repository()
    {
        var folder = TestEnvironment.TempFolder("standalone-shared");
        var resources = Path.Combine(folder, "shop");
        Directory.CreateDirectory(Path.Combine(resources, "backupconfigurations"));
        foreach (var name in new[] { "alpha", "bravo" })
        {
            await File.WriteAllTextAsync(Path.Combine(resources, "backupconfigurations", name + ".yaml"), $$"""
                apiVersion: backup.serverless.dev/v1alpha1
                kind: BackupConfiguration
                metadata: { name: {{name}}, namespace: shop }
                spec:
                  schedule: "* * * * *"
                  repository: { name: shared }
                  target: { ref: { apiVersion: appcatalog.appscode.com/v1alpha1, kind: AppBinding, name: shop-db } }
                  backupHistoryLimit: 50
                """);
        }
        Directory.CreateDirectory(Path.Combine(resources, "repositories"));
        await File.WriteAllTextAsync(Path.Combine(resources, "repositories", "shared.yaml"), """
            apiVersion: backup.serverless.dev/v1alpha1
            kind: Repository
            metadata: { name: shared, namespace: shop }
            spec: { backend: { storageSecretName: s, local: { mountPath: /backups } }, check: { paused: true } }
            """);
        Directory.CreateDirectory(Path.Combine(resources, "appbindings"));
        await File.WriteAllTextAsync(Path.Combine(resources, "appbindings", "shop-db.yaml"), """
            apiVersion: appcatalog.appscode.com/v1alpha1
            kind: AppBinding
            metadata: { name: shop-db, namespace: shop }
            spec: { clientConfig: { url: "tcp(127.0.0.1:9)/" }, secret: { name: shop-db-auth } }
            """);
        Directory.CreateDirectory(Path.Combine(resources, "secrets"));
        await File.WriteAllTextAsync(Path.Combine(resources, "secrets", "s.yaml"), "apiVersion: v1\nkind: Secret\nmetadata: { name: s, namespace: shop }\nstringData: { RESTIC_PASSWORD: p }\n");
        await File.WriteAllTextAsync(Path.Combine(resources, "secrets", "shop-db-auth.yaml"), "apiVersion: v1\nkind: Secret\nmetadata: { name: shop-db-auth, namespace: shop }\nstringData: { username: u, password: p }\n");
        // Jobs that never end by themselves keep a backup Running, so a second one would show.
        var job = Path.Combine(folder, "long-job.sh");
        await File.WriteAllTextAsync(job, "#!/bin/sh\nexec sleep 600\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(job, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        await using var first = StandaloneApp.Start(folder, runnerCommand: job);
        await using var second = StandaloneApp.Start(folder, runnerCommand: job);
        await Task.WhenAll(first.WaitReadyAsync(), second.WaitReadyAsync());

        var answers = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => (i % 2 == 0 ? first : second).FireTimerAsync("ScheduleTick")));
        var reconciles = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => (i % 2 == 0 ? first : second).FireTimerAsync("Reconcile")));

        foreach (var answer in answers.Concat(reconciles))
        {
            var text = await answer.Content.ReadAsStringAsync();
            Assert.True(answer.StatusCode == HttpStatusCode.OK, text);
            var summary = JsonDocument.Parse(text).RootElement.GetProperty("summary").GetString()!;
            Assert.True(summary.EndsWith("0 invalid, 0 failed", StringComparison.Ordinal), summary + "\n" + string.Join("\n", (first.Output + second.Output).Split('\n').Where(l => l.Contains("\"LogLevel\":\"Error\"", StringComparison.Ordinal))));
        }
        // Each instance reconciles again: the Job the other one runs is Running, not vanished.
        foreach (var app in new[] { first, second, first, second })
        {
            Assert.Equal(HttpStatusCode.OK, (await app.FireTimerAsync("Reconcile")).StatusCode);
        }
        var sessions = Directory.GetFiles(Path.Combine(resources, "backupsessions"), "*.yaml").Select(f => KubernetesYaml.Deserialize<BackupSession>(File.ReadAllText(f))).ToList();
        Assert.NotEmpty(sessions);
        // A tick at a minute's turn may see two slots: per slot, each configuration has one session at most (by
        // name), and of all of them at most one backup of the shared repository is not Skipped.
        Assert.Equal(sessions.Count, sessions.Select(s => s.Name).Distinct().Count());
        Assert.True(sessions.Count(s => s.Status?.Phase != SessionPhase.Skipped) <= 1, string.Join("\n", sessions.Select(s => $"{s.Name} {s.Status?.Phase} {s.Status?.Message}")));
        Assert.All(sessions, s => Assert.NotNull(s.Status?.Phase));
        Assert.True(sessions.Count(s => s.Status?.Phase == SessionPhase.Running) == 1, string.Join("\n", sessions.Select(s => $"{s.Name} {s.Status?.Phase} {s.Status?.Reason} {s.Status?.Message}")));
        var errors = (first.Output + second.Output).Split('\n').Where(l => l.Contains("\"LogLevel\":\"Error\"", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
