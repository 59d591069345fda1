using System.Globalization;
using System.Net;
using System.Text;
using Serverless.Backup.Control.Endpoints;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Core.Webhook;
using Serverless.Backup.WorkerHost;
using Serverless.Backup.WorkerHost.Rpc;

namespace Serverless.Backup.Functions.Worker.Tests;

/// <summary>
/// The runner's webhook (SessionEvents) through the worker: anonymous at the host (a Job has no function key), so
/// its HMAC signature is all that protects it. Whatever is wrong with a request is a 4xx problem that changes
/// nothing; a signed event settles the session.
/// </summary>
[Collection(WorkerCollection.Name)]
public sealed class WebhookInvocationTests(FolderWorker worker)
{
    private const string Ns = ResourceFolder.Namespace;

    private FunctionsHost Host => worker.Host;

    [Fact]
    public async Task The_webhook_needs_no_function_key_and_an_unsigned_event_is_a_401_problem()
    {
        await WriteRunningSessionAsync("hook-unsigned", "uid-unsigned");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var result = await SendAsync(Failed("hook-unsigned", now), signingToken: null, now, $"{Ns}/BackupSession/hook-unsigned");

        Problem.Expect(result, HttpStatusCode.Unauthorized, "");
        Assert.Equal("Running", Phase("hook-unsigned"));
    }

    [Fact]
    public async Task Forged_expired_misdirected_or_malformed_events_are_4xx_problems_and_a_signed_one_settles_the_session()
    {
        await WriteRunningSessionAsync("hook-a", "uid-a");
        var token = WebhookSignature.DeriveToken(BackupWorker.MasterKey, new SessionIdentity(Ns, "BackupSession", "hook-a", "uid-a"));
        var otherToken = WebhookSignature.DeriveToken(BackupWorker.MasterKey, new SessionIdentity(Ns, "BackupSession", "hook-b", "uid-b"));
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        const string session = $"{Ns}/BackupSession/hook-a";

        Problem.Expect(await SendAsync(Failed("hook-a", now), "forged-token", now, session), HttpStatusCode.Unauthorized, "");
        Problem.Expect(await SendAsync(Failed("hook-a", now - 600), token, now - 600, session), HttpStatusCode.Unauthorized, "");
        Problem.Expect(await SendAsync(Failed("hook-a", now), otherToken, now, session), HttpStatusCode.Unauthorized, "");
        Problem.Expect(await SendAsync(Failed("hook-a", now), token, now, $"{Ns}/BackupSession/nobody"), HttpStatusCode.NotFound, "");
        Problem.Expect(await SendAsync(Failed("hook-a", now), token, now, "garbage"), HttpStatusCode.BadRequest, "");
        Problem.Expect(await SendAsync("{ not json", token, now, session), HttpStatusCode.BadRequest, "");
        Assert.Equal("Running", Phase("hook-a"));

        var succeeded = await SendAsync(Succeeded("hook-a", now), token, now, session);
        Assert.True(succeeded.StatusCode == HttpStatusCode.OK, $"{succeeded.StatusCode}: {succeeded.Body}");
        Assert.Equal("Succeeded", Phase("hook-a"));
        // A replay of an older event, or a later failure, cannot undo the result.
        Problem.Expect(await SendAsync(Failed("hook-a", now - 5), token, now - 5, session), HttpStatusCode.Conflict, "");
        Assert.Equal("Succeeded", Phase("hook-a"));
        Assert.Equal("0123abcd", worker.Resources.Read<BackupSession>("backupsessions", "hook-a")!.Status!.Stats![0].SnapshotId);
    }

    private Task WriteRunningSessionAsync(string name, string uid) => worker.Resources.WriteAsync("backupsessions", name, $$"""
        apiVersion: backup.serverless.dev/v1alpha1
        kind: BackupSession
        metadata: { name: {{name}}, namespace: {{Ns}}, uid: {{uid}}, resourceVersion: "1" }
        spec: { invoker: { name: none } }
        status: { phase: Running }
        """);

    private string Phase(string name) => worker.Resources.Read<BackupSession>("backupsessions", name)!.Status!.Phase!;

    private static string Time(long seconds) => DateTimeOffset.FromUnixTimeSeconds(seconds).ToString("O", CultureInfo.InvariantCulture);

    private static string Failed(string session, long time) =>
        $$"""{"type":"failed","reason":"dumpFailed","message":"x","verb":"backup","namespace":"{{Ns}}","session":"{{session}}","time":"{{Time(time)}}"}""";

    private static string Succeeded(string session, long time) =>
        $$"""{"type":"succeeded","databases":[{"database":"d","snapshotId":"0123abcd","bytes":10,"sha256":"{{new string('a', 64)}}","durationSeconds":1}],"durationSeconds":1,"verb":"backup","namespace":"{{Ns}}","session":"{{session}}","time":"{{Time(time)}}"}""";

    /// <summary>Posts an event as a runner Job does: no function key, the session header, and the signature when a token is given.</summary>
    private async Task<HttpInvocationResult> SendAsync(string body, string? signingToken, long timestamp, string session)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(WebhookSignature.SessionHeader, session);
        if (signingToken is not null)
        {
            request.Headers.Add(WebhookSignature.TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
            request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(signingToken, timestamp, Encoding.UTF8.GetBytes(body)));
        }
        var result = await Host.InvokeHttpAsync(FunctionNames.SessionEvents, request, CancellationToken.None);
        Assert.True(result.Invocation?.Result.Status == StatusResult.Types.Status.Success, $"the invocation is not a success: {result.Invocation?.Result}\n{Host.Worker.Output}");
        Assert.True((int)result.StatusCode < 500, $"a webhook answer is never a 5xx: {(int)result.StatusCode} {result.Body}");
        return result;
    }
}
