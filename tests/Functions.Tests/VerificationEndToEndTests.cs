using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests;

/// <summary>
/// Verification end to end in folder mode: a backup through the API, then StartMaintenance task verify → Reconcile
/// starts the real runner's verify verb → its signed report → status.lastVerification and the metrics; a check that
/// fails makes the verification Failed naming it; no scratch database is left on the server.
/// </summary>
[Collection(FunctionsCollection.Name)]
public sealed class VerificationEndToEndTests(FunctionsApp app)
{
    private string Configuration(decimal min) => $$"""
        apiVersion: backup.serverless.dev/v1alpha1
        kind: BackupConfiguration
        metadata: { name: vfy, namespace: {{FunctionsApp.Namespace}} }
        spec:
          schedule: "0 0 1 1 *"
          repository: { name: local }
          target:
            ref: { apiVersion: appcatalog.appscode.com/v1alpha1, kind: AppBinding, name: shop-db }
            databases: [vfy_shop]
          verification:
            schedule: "0 0 1 1 *"
            checks:
              - { name: has-customers, database: vfy_shop, sql: "SELECT COUNT(*) FROM customers", min: {{min}} }
        """;

    private async Task<(string Phase, BackupConfiguration Configuration)> VerifyAsync()
    {
        var start = await app.Http.PostAsJsonAsync($"/api/repositories/{FunctionsApp.Namespace}/local/maintenance", new { task = "verify", configuration = "vfy" });
        Assert.True(start.StatusCode == HttpStatusCode.Accepted, await start.Content.ReadAsStringAsync());
        var session = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("session").GetString()!;
        var done = await app.WaitForSessionAsync("maintenancesessions", session, TimeSpan.FromMinutes(3));
        return (done.GetProperty("phase").GetString()!, app.Read<BackupConfiguration>("backupconfigurations", "vfy")!);
    }

    [Fact]
    public async Task A_backup_verifies_through_the_app_and_a_failing_check_fails_the_verification_naming_it()
    {
        await SampleDatabase.CreateAsync(app.Database, "vfy_shop", extraRows: 2000);
        await app.WriteAsync("backupconfigurations", "vfy", Configuration(1));
        var trigger = await app.Http.PostAsync($"/api/backups/{FunctionsApp.Namespace}/vfy", null);
        Assert.True(trigger.StatusCode == HttpStatusCode.Accepted, await trigger.Content.ReadAsStringAsync());
        var backup = (await trigger.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("session").GetString()!;
        var backedUp = await app.WaitForSessionAsync("backupsessions", backup, TimeSpan.FromMinutes(2));
        Assert.True(backedUp.GetProperty("phase").GetString() == "Succeeded", backedUp.ToString());

        var (phase, configuration) = await VerifyAsync();

        Assert.True(phase == "Succeeded", $"{phase}: {configuration.Status?.LastVerification?.Message}\n{app.Output}");
        var verified = configuration.Status!.LastVerification!;
        Assert.True(verified.Result == "Succeeded", JsonSerializer.Serialize(verified) + "\n" + app.Output);
        Assert.Single(verified.SnapshotIds!);
        var metrics = await app.Http.GetStringAsync("/api/metrics");
        Assert.Contains($"mysql_backup_configuration_last_verification_succeeded{{namespace=\"{FunctionsApp.Namespace}\",configuration=\"vfy\"}} 1", metrics);

        var snapshots = await app.Http.GetFromJsonAsync<JsonElement>($"/api/repositories/{FunctionsApp.Namespace}/local/snapshots?configuration=vfy");
        var snapshot = snapshots.GetProperty("items")[0];
        Assert.True(snapshot.GetProperty("verified").GetBoolean(), snapshots.ToString());
        Assert.Equal(verified.Time, snapshot.GetProperty("verifiedTime").GetDateTimeOffset());
        Assert.StartsWith(snapshot.GetProperty("id").GetString()![..8], verified.SnapshotIds![0]);

        // The same snapshot, a check that cannot hold: the verification fails and says which check.
        await app.WriteAsync("backupconfigurations", "vfy", Configuration(1_000_000));
        (phase, configuration) = await VerifyAsync();

        Assert.Equal("Failed", phase);
        Assert.Equal("Failed", configuration.Status!.LastVerification!.Result);
        Assert.Contains("has-customers", configuration.Status.LastVerification.Message);
        Assert.Empty(await app.Database.QueryAsync("SHOW DATABASES LIKE 'verify\\_%'"));
        snapshots = await app.Http.GetFromJsonAsync<JsonElement>($"/api/repositories/{FunctionsApp.Namespace}/local/snapshots?configuration=vfy");
        Assert.False(snapshots.GetProperty("items")[0].GetProperty("verified").GetBoolean(), snapshots.ToString());
        Assert.Equal(await SampleDatabase.FingerprintAsync(app.Database, "vfy_shop"), await SampleDatabase.FingerprintAsync(app.Database, "vfy_shop"));
    }
}
