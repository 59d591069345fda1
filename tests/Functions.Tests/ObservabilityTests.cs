using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Serverless.Backup.Core.Metrics;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests;

/// <summary>
/// What an operator watches, through the real handler process in folder mode: GET /api/metrics, progress in the
/// session status while a backup runs, the JSON log lines of a session, and the timers' one-line summaries.
/// </summary>
[Collection(FunctionsCollection.Name)]
public sealed class ObservabilityTests(FunctionsApp app)
{
    [Fact]
    public async Task The_metrics_parse_as_prometheus_text_and_carry_each_configurations_freshness()
    {
        await app.WriteAsync("backupconfigurations", "fresh", $$"""
            apiVersion: backup.serverless.dev/v1alpha1
            kind: BackupConfiguration
            metadata: { name: fresh, namespace: {{FunctionsApp.Namespace}} }
            spec:
              schedule: "0 1 * * *"
              repository: { name: local }
              target: { ref: { apiVersion: appcatalog.appscode.com/v1alpha1, kind: AppBinding, name: shop-db } }
            status:
              lastSuccessTime: "2026-11-20T01:00:00Z"
              lastSessionPhase: Failed
              lastScheduleTime: "2099-01-01T00:00:00Z"
            """);
        await app.WriteAsync("repositories", "damaged", $$"""
            apiVersion: backup.serverless.dev/v1alpha1
            kind: Repository
            metadata: { name: damaged, namespace: {{FunctionsApp.Namespace}} }
            spec: { backend: { storageSecretName: repo-secret, local: { mountPath: /nowhere } }, check: { paused: true } }
            status: { integrity: false, snapshotCount: 3, totalSizeBytes: 4096 }
            """);
        // A forged webhook request is counted as rejected.
        await app.Http.PostAsync("/api/events", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));

        var response = await app.Http.GetAsync("/api/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        var samples = PrometheusText.Parse(await response.Content.ReadAsStringAsync());
        var labels = new[] { ("namespace", FunctionsApp.Namespace), ("configuration", "fresh") };
        Assert.Equal(new DateTimeOffset(2026, 11, 20, 1, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds(), Assert.Single(samples.Find(MetricNames.ConfigurationLastSuccessTimestampSeconds, labels)).Value);
        Assert.Equal(86400, Assert.Single(samples.Find(MetricNames.ConfigurationScheduleIntervalSeconds, labels)).Value);
        Assert.Equal(1, Assert.Single(samples.Find(MetricNames.ConfigurationLastSessionFailed, labels)).Value);
        Assert.Equal(0, Assert.Single(samples.Find(MetricNames.RepositoryIntegrity, ("repository", "damaged"))).Value);
        Assert.Equal(3, Assert.Single(samples.Find(MetricNames.RepositorySnapshots, ("repository", "damaged"))).Value);
        Assert.True(samples.Find(MetricNames.WebhookEventsTotal, ("result", "rejected")).Sum(s => s.Value) >= 1);
        Assert.Contains(samples, s => s.Name == MetricNames.ReconcileDurationSeconds + "_count" || s.Name == MetricNames.TickDurationSeconds + "_count" || s.Name.StartsWith(MetricNames.Sessions, StringComparison.Ordinal));

        var schedule = await app.InvokeTimerAsync("ScheduleTick");
        Assert.Matches("^ScheduleTick: [0-9]+ configurations seen, [0-9]+ sessions created, [0-9]+ skipped, [0-9]+ archive sessions created, 0 invalid, 0 failed$", schedule.GetProperty("summary").GetString());
    }

    [Fact]
    public async Task Progress_with_bytes_and_the_current_database_reaches_the_session_status_while_a_long_backup_runs()
    {
        // 1,400 rows at 10 ms each: the dump takes about 15 s, and each row leaves mysqldump as it is read.
        await SampleDatabase.CreateAsync(app.Database, "slow_shop", extraRows: 1400);
        await app.WriteAsync("backupconfigurations", "slow", $$"""
            apiVersion: backup.serverless.dev/v1alpha1
            kind: BackupConfiguration
            metadata: { name: slow, namespace: {{FunctionsApp.Namespace}} }
            spec:
              schedule: "0 0 1 1 *"
              repository: { name: local }
              target:
                ref: { apiVersion: appcatalog.appscode.com/v1alpha1, kind: AppBinding, name: shop-db }
                databases: [slow_shop]
                args: ["--skip-extended-insert", "--where=SLEEP(0.01)=0"]
            """);
        var trigger = await app.Http.PostAsync($"/api/backups/{FunctionsApp.Namespace}/slow", null);
        Assert.Equal(HttpStatusCode.Accepted, trigger.StatusCode);
        var name = (await trigger.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("session").GetString()!;

        var seen = new List<(string Database, long Bytes, string Updated)>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonElement session = default;
        while (DateTime.UtcNow < deadline)
        {
            await app.InvokeTimerAsync("Reconcile");
            session = await app.Http.GetFromJsonAsync<JsonElement>($"/api/sessions/{FunctionsApp.Namespace}/backupsessions/{name}");
            if (session.TryGetProperty("progress", out var progress) && progress.ValueKind == JsonValueKind.Object)
            {
                var update = (progress.GetProperty("database").GetString()!, progress.GetProperty("totalBytesDone").GetInt64(), progress.GetProperty("updated").GetString()!);
                if (!seen.Contains(update))
                {
                    seen.Add(update);
                }
            }
            if (session.GetProperty("phase").GetString() is "Succeeded" or "Failed")
            {
                break;
            }
            await Task.Delay(1000);
        }

        Assert.True(session.GetProperty("phase").GetString() == "Succeeded", session + "\n" + app.Output);
        Assert.True(seen.Count >= 2, $"progress updates seen: {string.Join(", ", seen)}");
        Assert.All(seen, p => Assert.Equal("slow_shop", p.Database));
        Assert.True(seen[^1].Bytes > seen[0].Bytes && seen[0].Bytes > 0, string.Join(", ", seen));

        // The session's story in the log: one JSON object a line (log entries of the app and the runner, with the
        // stable fields in their scopes, and the runner's events that its Job printed, with them at the top), and no
        // secret anywhere.
        var lines = app.Output.Split('\n').Where(l => l.Contains($"\"session\":\"{name}\"", StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var events = lines.Where(l => !l.TryGetProperty("LogLevel", out _)).ToList();
        Assert.All(events, l => Assert.Equal(FunctionsApp.Namespace, l.GetProperty("namespace").GetString()));
        Assert.All(events, l => Assert.True(l.TryGetProperty("time", out _)));
        var logs = lines.Where(l => l.TryGetProperty("LogLevel", out _)).Select(l => new LogLine(l)).ToList();
        Assert.All(logs, l => Assert.Equal(FunctionsApp.Namespace, l.Scope("namespace")));
        Assert.Contains(logs, l => l.Scope("phase") == "Running");
        Assert.Contains(logs, l => l.Scope("phase") == "Succeeded" && l.Scope("snapshotId")!.Length >= 8 && l.Scope("configuration") == "slow");
        Assert.DoesNotContain(MariaDbServer.Password, app.Output);
        Assert.DoesNotContain(FunctionsApp.MasterKey, app.Output);
    }
}
