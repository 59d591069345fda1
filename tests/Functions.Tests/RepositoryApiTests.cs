using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Serverless.Backup.Functions.Tests;

/// <summary>The repository HTTP functions through the real handler process in folder mode.</summary>
[Collection(FunctionsCollection.Name)]
public sealed class RepositoryApiTests(FunctionsApp app)
{
    [Fact]
    public async Task Snapshots_are_listed_from_the_repository_status_newest_first_and_filtered()
    {
        await app.WriteAsync("repositories", "listed", $$"""
            apiVersion: backup.serverless.dev/v1alpha1
            kind: Repository
            metadata: { name: listed, namespace: {{FunctionsApp.Namespace}} }
            spec: { backend: { storageSecretName: repo-secret, local: { mountPath: /nowhere } }, check: { paused: true } }
            status:
              snapshotCount: 3
              totalSize: "12 KiB"
              recentSnapshots:
                - { id: aaaa1111, time: "2026-11-24T01:00:00Z", database: shop, configuration: shop, session: shop-202611240100, size: 4096 }
                - { id: bbbb2222, time: "2026-11-24T02:00:00Z", database: crm, configuration: crm, session: crm-202611240200, size: 4096 }
                - { id: cccc3333, time: "2026-11-25T01:00:00Z", database: shop, configuration: shop, session: shop-202611250100, size: 4096 }
            """);

        var all = await app.Http.GetFromJsonAsync<JsonElement>($"/api/repositories/{FunctionsApp.Namespace}/listed/snapshots");
        var shop = await app.Http.GetFromJsonAsync<JsonElement>($"/api/repositories/{FunctionsApp.Namespace}/listed/snapshots?database=shop");
        var crm = await app.Http.GetFromJsonAsync<JsonElement>($"/api/repositories/{FunctionsApp.Namespace}/listed/snapshots?configuration=crm");
        var missing = await app.Http.GetAsync($"/api/repositories/{FunctionsApp.Namespace}/nothing-here/snapshots");

        Assert.Equal(["cccc3333", "bbbb2222", "aaaa1111"], all.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()));
        Assert.Equal((3, "12 KiB"), (all.GetProperty("snapshotCount").GetInt32(), all.GetProperty("totalSize").GetString()));
        Assert.Equal(["cccc3333", "aaaa1111"], shop.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()));
        Assert.Equal("crm-202611240200", Assert.Single(crm.GetProperty("items").EnumerateArray()).GetProperty("session").GetString());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains($"Repository {FunctionsApp.Namespace}/nothing-here does not exist", await missing.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Maintenance_of_an_unknown_repository_is_404_and_an_unknown_task_is_400_naming_the_field()
    {
        var unknownRepository = await app.Http.PostAsJsonAsync($"/api/repositories/{FunctionsApp.Namespace}/ghost/maintenance", new { task = "check" });
        var unknownTask = await app.Http.PostAsJsonAsync($"/api/repositories/{FunctionsApp.Namespace}/local/maintenance", new { task = "defrag" });
        var forgetWithout = await app.Http.PostAsJsonAsync($"/api/repositories/{FunctionsApp.Namespace}/local/maintenance", new { task = "forget" });
        var badSubset = await app.Http.PostAsJsonAsync($"/api/repositories/{FunctionsApp.Namespace}/local/maintenance", new { task = "check", readDataSubset = "200%" });

        Assert.Equal(HttpStatusCode.NotFound, unknownRepository.StatusCode);
        Assert.Contains("repository: Repository shop/ghost does not exist", await unknownRepository.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, unknownTask.StatusCode);
        Assert.Contains("task 'defrag' is not a maintenance task: use check, forget, unlock", await unknownTask.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, forgetWithout.StatusCode);
        Assert.Contains("configuration is empty", await forgetWithout.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, badSubset.StatusCode);
        Assert.Contains("readDataSubset '200%'", await badSubset.Content.ReadAsStringAsync());
        Assert.False(Directory.Exists(Path.Combine(app.Folder, FunctionsApp.Namespace, "maintenancesessions")) && Directory.GetFiles(Path.Combine(app.Folder, FunctionsApp.Namespace, "maintenancesessions")).Any(f => f.Contains("ghost", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_started_check_is_a_maintenance_session_whose_job_runs_the_runners_check_verb()
    {
        var response = await app.Http.PostAsJsonAsync($"/api/repositories/{FunctionsApp.Namespace}/local/maintenance", new { task = "check", readDataSubset = "1/5" });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var name = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("session").GetString()!;
        Assert.Equal($"/api/sessions/{FunctionsApp.Namespace}/maintenancesessions/{name}", response.Headers.Location?.ToString());

        var done = await app.WaitForSessionAsync("maintenancesessions", name, TimeSpan.FromMinutes(1));

        // The runner ran the Job (its own verdict on the repository is the runner's business): never stuck, never a reference error.
        Assert.True(done.GetProperty("phase").GetString() is "Succeeded" or "Failed", done.ToString());
        Assert.DoesNotContain(done.TryGetProperty("reason", out var reason) ? reason.GetString() : "", new[] { "InvalidReference", "InvalidSpec", "JobDisappeared" });
        Assert.Equal(("check", "local"), (done.GetProperty("task").GetString(), done.GetProperty("repository").GetString()));
        var job = await File.ReadAllTextAsync(Path.Combine(app.Folder, FunctionsApp.Namespace, "jobs", name + ".yaml"));
        Assert.Contains("- check", job);
        Assert.Contains("RESTIC_CHECK_READ_DATA_SUBSET", job);
    }
}
