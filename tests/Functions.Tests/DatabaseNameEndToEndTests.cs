using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests;

/// <summary>
/// Database names and restore targets through the app: any name the server accepts in a configuration, the
/// snapshot listing and a restore; the server's own databases refused as targets at the API and in a
/// RestoreSession; a target that holds data refused unless the restore allows overwriting it.
/// </summary>
[Collection(FunctionsCollection.Name)]
public sealed class DatabaseNameEndToEndTests(FunctionsApp app)
{
    private const string Repository = "local-names";

    private async Task<HttpResponseMessage> RestoreAsync(object body) =>
        await app.Http.PostAsJsonAsync($"/api/restores/{FunctionsApp.Namespace}", body);

    private static async Task<string> ErrorOf(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString()!;

    [Fact]
    public async Task A_database_named_with_a_comma_a_space_and_a_snowman_is_backed_up_listed_and_restored_and_a_full_target_needs_overwrite()
    {
        const string source = "e2e weird ☃,db";
        const string copy = "e2e copie ☃";
        await SampleDatabase.CreateAsync(app.Database, source);
        await app.Database.ExecuteAsync($"DROP DATABASE IF EXISTS {SampleDatabase.Quote(copy)}");
        await app.WriteAsync("repositories", Repository, $$"""
            apiVersion: backup.serverless.dev/v1alpha1
            kind: Repository
            metadata: { name: {{Repository}}, namespace: {{FunctionsApp.Namespace}} }
            spec: { backend: { storageSecretName: repo-secret, local: { mountPath: "{{app.RepositoryPath}}-names" } } }
            """);
        await app.WriteAsync("backupconfigurations", "names", $$"""
            apiVersion: backup.serverless.dev/v1alpha1
            kind: BackupConfiguration
            metadata: { name: names, namespace: {{FunctionsApp.Namespace}} }
            spec:
              schedule: "0 0 1 1 *"
              repository: { name: {{Repository}} }
              target:
                ref: { apiVersion: appcatalog.appscode.com/v1alpha1, kind: AppBinding, name: shop-db }
                databases: ["{{source}}"]
            """);

        var trigger = await app.Http.PostAsync($"/api/backups/{FunctionsApp.Namespace}/names", null);
        Assert.Equal(HttpStatusCode.Accepted, trigger.StatusCode);
        var backupName = (await trigger.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("session").GetString()!;
        var backup = await app.WaitForSessionAsync("backupsessions", backupName, TimeSpan.FromMinutes(2));

        Assert.True(backup.GetProperty("phase").GetString() == "Succeeded", backup.ToString());
        Assert.Equal(source, backup.GetProperty("stats")[0].GetProperty("database").GetString());
        var listed = await app.Http.GetFromJsonAsync<JsonElement>(
            $"/api/repositories/{FunctionsApp.Namespace}/{Repository}/snapshots?database={Uri.EscapeDataString(source)}");
        Assert.Equal(source, Assert.Single(listed.GetProperty("items").EnumerateArray()).GetProperty("database").GetString());

        var restore = await RestoreAsync(new { name = "names-restore-1", repository = Repository, target = "shop-db", fromSession = backupName, rename = new Dictionary<string, string> { [source] = copy } });
        Assert.Equal(HttpStatusCode.Accepted, restore.StatusCode);
        var restored = await app.WaitForSessionAsync("restoresessions", "names-restore-1", TimeSpan.FromMinutes(2));

        Assert.True(restored.GetProperty("phase").GetString() == "Succeeded", restored.ToString());
        Assert.Equal(copy, restored.GetProperty("stats")[0].GetProperty("restoredInto").GetString());
        var fingerprint = await SampleDatabase.FingerprintAsync(app.Database, source);
        Assert.Equal(fingerprint, await SampleDatabase.FingerprintAsync(app.Database, copy));

        // The copy now holds tables: the same restore again is refused, and changes nothing.
        await app.Database.ExecuteAsync("DELETE FROM customers WHERE id = 1", copy);
        var changed = await SampleDatabase.FingerprintAsync(app.Database, copy);
        Assert.Equal(HttpStatusCode.Accepted, (await RestoreAsync(new { name = "names-restore-2", repository = Repository, target = "shop-db", fromSession = backupName, rename = new Dictionary<string, string> { [source] = copy } })).StatusCode);
        var refused = await app.WaitForSessionAsync("restoresessions", "names-restore-2", TimeSpan.FromMinutes(2));

        Assert.Equal(("Failed", "TargetNotEmpty"), (refused.GetProperty("phase").GetString(), refused.GetProperty("reason").GetString()));
        Assert.Contains("spec.overwrite: true", refused.GetProperty("message").GetString());
        Assert.Equal(changed, await SampleDatabase.FingerprintAsync(app.Database, copy));

        var overwrite = await RestoreAsync(new { name = "names-restore-3", repository = Repository, target = "shop-db", fromSession = backupName, rename = new Dictionary<string, string> { [source] = copy }, overwrite = true });
        Assert.Equal(HttpStatusCode.Accepted, overwrite.StatusCode);
        Assert.True(app.Read<RestoreSession>("restoresessions", "names-restore-3")!.Spec.Overwrite);
        var overwritten = await app.WaitForSessionAsync("restoresessions", "names-restore-3", TimeSpan.FromMinutes(2));

        Assert.True(overwritten.GetProperty("phase").GetString() == "Succeeded", overwritten.ToString());
        Assert.Equal(fingerprint, await SampleDatabase.FingerprintAsync(app.Database, copy));
    }

    [Theory]
    [InlineData("mysql")]
    [InlineData("MySQL")]
    [InlineData("sys")]
    [InlineData("SYS")]
    [InlineData("performance_schema")]
    [InlineData("Information_Schema")]
    public async Task CreateRestore_refuses_a_rename_into_one_of_the_servers_own_databases_naming_the_field(string target)
    {
        var response = await RestoreAsync(new { repository = "local", target = "shop-db", rename = new Dictionary<string, string> { ["shop"] = target } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith($"rename maps 'shop' to '{target}', one of the server's own databases", await ErrorOf(response));
    }

    [Fact]
    public async Task CreateRestore_refuses_a_server_database_restored_under_its_own_name_and_two_databases_into_one()
    {
        var own = await RestoreAsync(new { repository = "local", target = "shop-db", databases = new[] { "Mysql" } });
        Assert.Equal(HttpStatusCode.BadRequest, own.StatusCode);
        Assert.StartsWith("databases has 'Mysql', which would be restored into the server's own 'Mysql' database: rename it with rename", await ErrorOf(own));

        var twoInOne = await RestoreAsync(new { repository = "local", target = "shop-db", rename = new Dictionary<string, string> { ["a"] = "x", ["b"] = "x" } });
        Assert.Equal(HttpStatusCode.BadRequest, twoInOne.StatusCode);
        Assert.Equal("rename restores 'a' and 'b' into the same database 'x': give each its own target", await ErrorOf(twoInOne));
    }

    [Theory]
    [InlineData("""{"repository": "local", "target": "shop-db", "databases": [null]}""", "databases has null, which is not a database name: it is empty")]
    [InlineData("""{"repository": "local", "target": "shop-db", "rename": {"a": null}}""", "rename has null, which is not a database name: it is empty")]
    [InlineData("""{"repository": "local", "target": "shop-db", "rename": {"a": "trailing "}}""", "rename has 'trailing ', which is not a database name: it ends with a space")]
    [InlineData("""{"repository": "local", "target": "shop-db", "databases": ["spec.x "]}""", "databases has 'spec.x ', which is not a database name")]
    [InlineData("""{"repository": "local", "target": "shop-db", "databases": ["\ud83d\ude80"]}""", "databases has '\\ud83d\\ude80', which is not a database name: it has a character outside the Basic Multilingual Plane (U+1F680)")]
    [InlineData("""{"repository": "local", "target": "shop-db", "overwrite": "yes"}""", "the body is not a valid restore request")]
    [InlineData("""{"repository": "local", "target": "shop-db", "databases": "shop"}""", "the body is not a valid restore request")]
    public async Task CreateRestore_answers_hostile_database_fields_with_400_naming_the_field(string body, string expected)
    {
        var response = await app.Http.PostAsync($"/api/restores/{FunctionsApp.Namespace}", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith(expected, await ErrorOf(response));
    }

    [Fact]
    public async Task A_restore_session_written_as_yaml_into_the_mysql_database_fails_naming_spec_rename_and_runs_nothing()
    {
        await app.WriteAsync("restoresessions", "into-mysql", $$"""
            apiVersion: backup.serverless.dev/v1alpha1
            kind: RestoreSession
            metadata: { name: into-mysql, namespace: {{FunctionsApp.Namespace}} }
            spec:
              repository: { name: local }
              target: { ref: { apiVersion: appcatalog.appscode.com/v1alpha1, kind: AppBinding, name: shop-db } }
              rename: { shop: MySQL }
            """);

        var done = await app.WaitForSessionAsync("restoresessions", "into-mysql", TimeSpan.FromMinutes(1));

        Assert.Equal("Failed", done.GetProperty("phase").GetString());
        Assert.StartsWith("spec.rename maps 'shop' to 'MySQL', one of the server's own databases", done.GetProperty("message").GetString());
        Assert.Null(app.Read<RestoreSession>("restoresessions", "into-mysql")!.Status!.JobName);
    }
}
