using System.Diagnostics;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests.Observability;

/// <summary>
/// The standalone server's log as an operator's collector reads it: its stdout is one entry a line in the JSON
/// console format, with the level as the framework names it, the message, and the resource's fields in the scopes.
/// </summary>
public sealed class AppLogTests
{
    [Fact]
    public async Task The_server_writes_one_JSON_entry_a_line_with_the_level_the_message_and_the_resource_in_its_scopes()
    {
        var folder = TestEnvironment.TempFolder("app-log");
        Write(folder, "repositories", "repo", """
            apiVersion: backup.serverless.dev/v1alpha1
            kind: Repository
            metadata: { name: repo, namespace: prod }
            spec: { backend: { storageSecretName: repo-secret, local: { mountPath: /backups } } }
            """);
        Write(folder, "appbindings", "shop-db", """
            apiVersion: appcatalog.appscode.com/v1alpha1
            kind: AppBinding
            metadata: { name: shop-db, namespace: prod }
            spec: { clientConfig: { url: "tcp(127.0.0.1:9)/" }, secret: { name: shop-db-auth } }
            """);
        foreach (var (name, schedule) in new[] { ("good", "* * * * *"), ("bad", "not a cron") })
        {
            Write(folder, "backupconfigurations", name, $$"""
                apiVersion: backup.serverless.dev/v1alpha1
                kind: BackupConfiguration
                metadata: { name: {{name}}, namespace: prod }
                spec:
                  schedule: "{{schedule}}"
                  repository: { name: repo }
                  target: { ref: { apiVersion: appcatalog.appscode.com/v1alpha1, kind: AppBinding, name: shop-db } }
                """);
        }
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "backup-server.dll"));
        start.Environment["BACKUP_CLUSTER"] = "folder";
        start.Environment["BACKUP_RESOURCES_FOLDER"] = folder;
        start.Environment["BACKUP_LISTEN_URL"] = $"http://127.0.0.1:{TestEnvironment.FreePort()}";
        start.Environment["BACKUP_API_KEY"] = "app-log-key-0123456789";
        start.Environment["BACKUP_WEBHOOK_MASTER_KEY"] = "test-master-key-0123456789abcdefghijklmnop";
        start.Environment["BACKUP_RUNNER_COMMAND"] = "true";
        // ScheduleTick every second; the other timers only say that they are off.
        start.Environment["BACKUP_SCHEDULE_TICK"] = "* * * * * *";
        start.Environment["AzureWebJobs.Reconcile.Disabled"] = "true";
        start.Environment["AzureWebJobs.MaintenanceTick.Disabled"] = "true";
        var stdout = new List<string>();
        var stderr = new List<string>();
        using var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        IReadOnlyList<LogLine> lines = [];
        try
        {
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (DateTime.UtcNow < deadline && !lines.Any(l => l.Message.StartsWith("ScheduleTick: ", StringComparison.Ordinal) && l.Message.EndsWith("1 invalid, 0 failed", StringComparison.Ordinal)))
            {
                await Task.Delay(250);
                lock (stdout)
                {
                    // Every line of stdout is a log entry: LogLine fails the test on any other.
                    lines = stdout.Select(LogLine.Parse).ToList();
                }
            }
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        var output = string.Join("\n", stdout) + "\n" + string.Join("\n", stderr);

        Assert.All(lines, l =>
        {
            Assert.Contains(l.Level, new[] { "Information", "Warning", "Error" });
            Assert.False(string.IsNullOrEmpty(l.Message));
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", l.Json.GetProperty("Timestamp").GetString());
            Assert.InRange(l.Timestamp, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
            // ASP.NET Core's own categories log warnings and errors only.
            Assert.False(l.Category.StartsWith("Microsoft", StringComparison.Ordinal) && l.Level == "Information", l.Message);
        });
        var invalid = lines.FirstOrDefault(l => l.Message.StartsWith("ScheduleTick: BackupConfiguration prod/bad is invalid and was skipped: spec.schedule", StringComparison.Ordinal));
        Assert.True(invalid is not null, output);
        Assert.Equal(("Error", "Serverless.Backup.Control.ControlPlane"), (invalid.Level, invalid.Category));
        Assert.Equal(("prod", "bad", "BackupConfiguration", "InvalidSpec", "ScheduleTick"),
            (invalid.Scope("namespace"), invalid.Scope("configuration"), invalid.Scope("kind"), invalid.Scope("reason"), invalid.Scope("function")));

        var created = lines.FirstOrDefault(l => l.Message.StartsWith("BackupSession good-", StringComparison.Ordinal) && l.Message.EndsWith(" created", StringComparison.Ordinal));
        Assert.True(created is not null, output);
        Assert.Equal("Information", created.Level);
        Assert.Equal($"BackupSession {created.Scope("session")} created", created.Message);
        Assert.Equal(("prod", "good", "repo", "BackupSession", "Pending"),
            (created.Scope("namespace"), created.Scope("configuration"), created.Scope("repository"), created.Scope("kind"), created.Scope("phase")));
        Assert.Equal(created.Scope("session"), created.Json.GetProperty("State").GetProperty("Session").GetString());

        var summary = lines.First(l => l.Message.StartsWith("ScheduleTick: ", StringComparison.Ordinal) && l.Message.EndsWith("1 invalid, 0 failed", StringComparison.Ordinal));
        Assert.Equal(("Warning", "ScheduleTick"), (summary.Level, summary.Scope("function")));
        Assert.Equal(1, summary.Json.GetProperty("State").GetProperty("Invalid").GetInt32());

        var disabled = Assert.Single(lines, l => l.Message == "Reconcile is disabled (AzureWebJobs.Reconcile.Disabled)");
        Assert.Equal(("Information", "Reconcile"), (disabled.Level, disabled.Scope("function")));
    }

    private static void Write(string folder, string plural, string name, string text)
    {
        var path = Path.Combine(folder, "prod", plural);
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, name + ".yaml"), text);
    }

    private static void Append(List<string> lines, string? line)
    {
        if (!string.IsNullOrEmpty(line))
        {
            lock (lines)
            {
                lines.Add(line);
            }
        }
    }
}
