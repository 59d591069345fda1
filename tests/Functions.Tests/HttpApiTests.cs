using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.Backup.Core.Webhook;
using Serverless.Backup.Control.Endpoints;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests;

/// <summary>The HTTP API's answers to bad, forged and refused requests, through the real server process.</summary>
[Collection(FunctionsCollection.Name)]
public sealed class HttpApiTests(FunctionsApp app)
{
    [Fact]
    public async Task Bad_requests_get_clear_4xx_answers()
    {
        var malformed = await app.Http.PostAsync($"/api/restores/{FunctionsApp.Namespace}", new StringContent("{ not json", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("not a valid restore request", await malformed.Content.ReadAsStringAsync());

        var unknownField = await app.Http.PostAsJsonAsync($"/api/restores/{FunctionsApp.Namespace}", new { repository = "local", target = "shop-db", snapshot = "x" });
        Assert.Equal(HttpStatusCode.BadRequest, unknownField.StatusCode);

        var tooBig = await app.Http.PostAsync($"/api/restores/{FunctionsApp.Namespace}", new ByteArrayContent(new byte[(1 << 20) + 1]));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig.StatusCode);

        var badName = await app.Http.PostAsJsonAsync($"/api/restores/{FunctionsApp.Namespace}", new { repository = "Not_Valid", target = "shop-db" });
        Assert.Equal(HttpStatusCode.BadRequest, badName.StatusCode);
        Assert.Contains("repository 'Not_Valid' is not a valid Kubernetes name", await badName.Content.ReadAsStringAsync());

        var unknownRepository = await app.Http.PostAsJsonAsync($"/api/restores/{FunctionsApp.Namespace}", new { repository = "nope", target = "shop-db" });
        Assert.Equal((HttpStatusCode)422, unknownRepository.StatusCode);
        Assert.Contains("repository: Repository shop/nope does not exist", await unknownRepository.Content.ReadAsStringAsync());

        var unknownBinding = await app.Http.PostAsJsonAsync($"/api/restores/{FunctionsApp.Namespace}", new { repository = "local", target = "nope" });
        Assert.Contains("target: AppBinding shop/nope does not exist", await unknownBinding.Content.ReadAsStringAsync());

        var unknownConfiguration = await app.Http.PostAsync($"/api/backups/{FunctionsApp.Namespace}/nope", null);
        Assert.Equal(HttpStatusCode.NotFound, unknownConfiguration.StatusCode);

        var badKind = await app.Http.GetAsync($"/api/sessions/{FunctionsApp.Namespace}/pods/x");
        Assert.Equal(HttpStatusCode.BadRequest, badKind.StatusCode);
    }

    [Fact]
    public async Task A_paused_configuration_cannot_be_triggered()
    {
        await app.WriteAsync("backupconfigurations", "paused", $$"""
            apiVersion: backup.serverless.dev/v1alpha1
            kind: BackupConfiguration
            metadata: { name: paused, namespace: {{FunctionsApp.Namespace}} }
            spec: { schedule: "0 1 * * *", paused: true, repository: { name: local }, target: { ref: { name: shop-db } } }
            """);

        var response = await app.Http.PostAsync($"/api/backups/{FunctionsApp.Namespace}/paused", null);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("spec.paused is true", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Webhook_events_that_are_unsigned_forged_expired_replayed_or_for_another_session_change_nothing()
    {
        await app.WriteAsync("backupsessions", "hook-a", $$"""
            apiVersion: backup.serverless.dev/v1alpha1
            kind: BackupSession
            metadata: { name: hook-a, namespace: {{FunctionsApp.Namespace}}, uid: uid-a, resourceVersion: "1" }
            spec: { invoker: { name: none } }
            status: { phase: Running }
            """);
        var token = WebhookSignature.DeriveToken(FunctionsApp.MasterKey, new SessionIdentity(FunctionsApp.Namespace, "BackupSession", "hook-a", "uid-a"));
        var otherToken = WebhookSignature.DeriveToken(FunctionsApp.MasterKey, new SessionIdentity(FunctionsApp.Namespace, "BackupSession", "hook-b", "uid-b"));
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string Event(string type, long time) => type == "succeeded"
            ? $$"""{"type":"succeeded","databases":[{"database":"d","snapshotId":"0123abcd","bytes":10,"sha256":"{{new string('a', 64)}}","durationSeconds":1}],"durationSeconds":1,"verb":"backup","namespace":"shop","session":"hook-a","time":"{{DateTimeOffset.FromUnixTimeSeconds(time):O}}"}"""
            : $$"""{"type":"failed","reason":"dumpFailed","message":"x","verb":"backup","namespace":"shop","session":"hook-a","time":"{{DateTimeOffset.FromUnixTimeSeconds(time):O}}"}""";
        async Task<HttpStatusCode> Send(string body, string? signingToken, long timestamp, string session = "shop/BackupSession/hook-a")
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add(WebhookSignature.SessionHeader, session);
            if (signingToken is not null)
            {
                request.Headers.Add(WebhookSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
                request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(signingToken, timestamp, Encoding.UTF8.GetBytes(body)));
            }
            return (await app.Http.SendAsync(request)).StatusCode;
        }
        string Phase() => app.Read<Serverless.Backup.Control.Resources.BackupSession>("backupsessions", "hook-a")!.Status!.Phase!;

        Assert.Equal(HttpStatusCode.Unauthorized, await Send(Event("failed", now), null, now));
        Assert.Equal(HttpStatusCode.Unauthorized, await Send(Event("failed", now), "forged-token", now));
        Assert.Equal(HttpStatusCode.Unauthorized, await Send(Event("failed", now - 600), token, now - 600));
        Assert.Equal(HttpStatusCode.Unauthorized, await Send(Event("failed", now), otherToken, now));
        Assert.Equal(HttpStatusCode.NotFound, await Send(Event("failed", now), token, now, "shop/BackupSession/nobody"));
        Assert.Equal(HttpStatusCode.BadRequest, await Send(Event("failed", now), token, now, "garbage"));
        Assert.Equal("Running", Phase());

        Assert.Equal(HttpStatusCode.OK, await Send(Event("succeeded", now), token, now));
        Assert.Equal("Succeeded", Phase());
        // A replay of an older event, or a later failure, cannot undo the result.
        Assert.Equal(HttpStatusCode.Conflict, await Send(Event("failed", now - 5), token, now - 5));
        Assert.Equal(HttpStatusCode.Conflict, await Send(Event("failed", now + 1), token, now + 1));
        Assert.Equal("Succeeded", Phase());
        Assert.Equal("0123abcd", app.Read<Serverless.Backup.Control.Resources.BackupSession>("backupsessions", "hook-a")!.Status!.Stats![0].SnapshotId);
    }
}
