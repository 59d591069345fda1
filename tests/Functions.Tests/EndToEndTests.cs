using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Core.Webhook;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests;

/// <summary>
/// Folder mode end to end: configuration → tick → session → Job → the real runner against MariaDB → signed
/// webhook → Succeeded with snapshot figures → CreateRestore → data equal.
/// </summary>
[Collection(FunctionsCollection.Name)]
public sealed class EndToEndTests(FunctionsApp app)
{
    private static string Configuration(string name, string schedule, string database, string extra = "") => $$"""
        apiVersion: backup.serverless.dev/v1alpha1
        kind: BackupConfiguration
        metadata: { name: {{name}}, namespace: {{FunctionsApp.Namespace}} }
        spec:
          schedule: "{{schedule}}"
          startingDeadlineSeconds: 40000000
          repository: { name: local }
          target:
            ref: { apiVersion: appcatalog.appscode.com/v1alpha1, kind: AppBinding, name: shop-db }
            databases: [{{database}}]
          retentionPolicy: { keepLast: 5 }
          backupHistoryLimit: 2
        {{extra}}
        """;

    [Fact]
    public async Task A_scheduled_backup_runs_reports_its_snapshots_and_restores_equal_data()
    {
        await SampleDatabase.CreateAsync(app.Database, "e2e_shop", extraRows: 3000);
        await app.WriteAsync("backupconfigurations", "e2e", Configuration("e2e", "0 0 1 1 *", "e2e_shop"));

        var tick = await app.InvokeTimerAsync("ScheduleTick");
        Assert.Contains("1 sessions created", tick.GetProperty("summary").GetString());
        var session = Assert.Single(app.BackupSessions(), s => s.Spec.Invoker.Name == "e2e");

        var done = await app.WaitForSessionAsync("backupsessions", session.Name, TimeSpan.FromMinutes(2));

        Assert.Equal("Succeeded", done.GetProperty("phase").GetString());
        var stats = done.GetProperty("stats")[0];
        Assert.Equal("e2e_shop", stats.GetProperty("database").GetString());
        Assert.Matches("^[0-9a-f]{8,64}$", stats.GetProperty("snapshotId").GetString());
        Assert.Matches("^[0-9a-f]{64}$", stats.GetProperty("sha256").GetString());
        Assert.True(stats.GetProperty("bytes").GetInt64() > 10000);
        // The webhook wrote the backup into the Repository's status too (folder mode: the YAML document).
        Assert.True(app.Read<Repository>("repositories", "local")?.Status?.LastBackupTime is not null, app.Output);

        var restore = await app.Http.PostAsJsonAsync($"/api/restores/{FunctionsApp.Namespace}", new
        {
            repository = "local", target = "shop-db", fromSession = session.Name, rename = new Dictionary<string, string> { ["e2e_shop"] = "e2e_shop_back" },
        });
        Assert.Equal(HttpStatusCode.Accepted, restore.StatusCode);
        var restoreName = (await restore.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("session").GetString()!;
        Assert.Equal($"/api/sessions/{FunctionsApp.Namespace}/restoresessions/{restoreName}", restore.Headers.Location?.ToString());

        var restored = await app.WaitForSessionAsync("restoresessions", restoreName, TimeSpan.FromMinutes(2));

        Assert.True(restored.GetProperty("phase").GetString() == "Succeeded", restored.ToString());
        Assert.Equal(await SampleDatabase.FingerprintAsync(app.Database, "e2e_shop"), await SampleDatabase.FingerprintAsync(app.Database, "e2e_shop_back"));
        var configuration = app.Read<BackupConfiguration>("backupconfigurations", "e2e")!;
        Assert.Equal(session.Name, configuration.Status?.LastSession);
        Assert.NotNull(configuration.Status?.LastSuccessTime);
    }

    [Fact]
    public async Task Duplicate_ticks_make_one_session_and_a_busy_repository_makes_the_next_one_skipped()
    {
        await SampleDatabase.CreateAsync(app.Database, "dup_db");
        await app.WriteAsync("backupconfigurations", "dup", Configuration("dup", "0 0 1 1 *", "dup_db"));

        // A duplicate firing (or a second instance) at the same time.
        await Task.WhenAll(app.InvokeTimerAsync("ScheduleTick"), app.InvokeTimerAsync("ScheduleTick"));
        await app.InvokeTimerAsync("ScheduleTick");
        Assert.Single(app.BackupSessions(), s => s.Spec.Invoker.Name == "dup");

        // A second configuration on the same repository comes due while the first session is still pending.
        await app.WriteAsync("backupconfigurations", "dup-two", Configuration("dup-two", "0 0 1 1 *", "dup_db"));
        await app.InvokeTimerAsync("ScheduleTick");

        var sessions = app.BackupSessions().Where(s => s.Spec.Invoker.Name is "dup" or "dup-two").ToList();
        Assert.Equal(2, sessions.Count);
        var skipped = Assert.Single(sessions, s => s.Spec.Invoker.Name == "dup-two");
        Assert.Equal((SessionPhase.Skipped, "RepositoryBusy"), (skipped.Status?.Phase, skipped.Status?.Reason));
        Assert.Contains("still", skipped.Status!.Message);
        foreach (var session in sessions.Where(s => s.Status?.Phase != SessionPhase.Skipped))
        {
            await app.WaitForSessionAsync("backupsessions", session.Name, TimeSpan.FromMinutes(2));
        }
    }

    [Fact]
    public async Task A_configuration_with_an_invalid_cron_creates_no_session_and_says_why()
    {
        await app.WriteAsync("backupconfigurations", "bad-cron", Configuration("bad-cron", "61 25 * * *", "whatever"));

        var tick = await app.InvokeTimerAsync("ScheduleTick");

        Assert.Contains("invalid", tick.GetProperty("summary").GetString());
        Assert.DoesNotContain(app.BackupSessions(), s => s.Spec.Invoker.Name == "bad-cron");
        Assert.StartsWith("spec.schedule '61 25 * * *' is not a valid cron schedule", app.Read<BackupConfiguration>("backupconfigurations", "bad-cron")!.Status!.Error);
    }

    [Fact]
    public async Task A_session_whose_repository_does_not_exist_fails_naming_the_field()
    {
        await app.WriteAsync("backupconfigurations", "no-repo", Configuration("no-repo", "0 0 1 1 *", "x").Replace("repository: { name: local }", "repository: { name: missing }"));
        await app.InvokeTimerAsync("ScheduleTick");
        var session = Assert.Single(app.BackupSessions(), s => s.Spec.Invoker.Name == "no-repo");

        var done = await app.WaitForSessionAsync("backupsessions", session.Name, TimeSpan.FromMinutes(1));

        Assert.Equal("Failed", done.GetProperty("phase").GetString());
        Assert.Equal("InvalidReference", done.GetProperty("reason").GetString());
        Assert.Contains("spec.repository.name", done.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_restore_of_a_snapshot_that_does_not_exist_fails_with_the_runners_reason()
    {
        var restore = await app.Http.PostAsJsonAsync($"/api/restores/{FunctionsApp.Namespace}", new { repository = "local", target = "shop-db", snapshots = new[] { "deadbeef" } });
        Assert.Equal(HttpStatusCode.Accepted, restore.StatusCode);
        var name = (await restore.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("session").GetString()!;

        var done = await app.WaitForSessionAsync("restoresessions", name, TimeSpan.FromMinutes(2));

        Assert.Equal("Failed", done.GetProperty("phase").GetString());
        Assert.True(done.GetProperty("reason").GetString() is "SnapshotNotFound" or "RepositoryError", done.ToString());
    }

    [Fact]
    public async Task A_session_whose_job_vanished_fails_with_the_reason()
    {
        await SampleDatabase.CreateAsync(app.Database, "vanish_db", extraRows: 100);
        await app.WriteAsync("backupconfigurations", "vanish", Configuration("vanish", "0 0 1 1 *", "vanish_db").Replace("repository: { name: local }", "repository: { name: local-vanish }"));
        await app.WriteAsync("repositories", "local-vanish", $$"""
            apiVersion: backup.serverless.dev/v1alpha1
            kind: Repository
            metadata: { name: local-vanish, namespace: {{FunctionsApp.Namespace}} }
            spec: { backend: { storageSecretName: repo-secret, local: { mountPath: "{{app.RepositoryPath}}-vanish" } } }
            """);
        await app.InvokeTimerAsync("ScheduleTick");
        var session = Assert.Single(app.BackupSessions(), s => s.Spec.Invoker.Name == "vanish");
        // The session gets a Job in the folder; then someone deletes it before the app ever ran it.
        await File.WriteAllTextAsync(Path.Combine(app.Folder, FunctionsApp.Namespace, "backupsessions", session.Name + ".yaml"),
            File.ReadAllText(Path.Combine(app.Folder, FunctionsApp.Namespace, "backupsessions", session.Name + ".yaml"))
                .Replace("phase: Pending", $"phase: Running\n  jobName: {session.Name}-gone"));

        var done = await app.WaitForSessionAsync("backupsessions", session.Name, TimeSpan.FromMinutes(1));

        Assert.Equal("Failed", done.GetProperty("phase").GetString());
        Assert.Equal("JobDisappeared", done.GetProperty("reason").GetString());
    }
}
