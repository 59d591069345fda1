using System.Text.Json;
using Serverless.Backup.Core;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Core.Resources;
using Serverless.Backup.Core.Webhook;
using Serverless.Backup.Functions.Api;
using Serverless.Backup.Functions.Cluster;

namespace Serverless.Backup.Functions.Webhook;

/// <summary>
/// The SessionEvents function: the runner's signed events. Unsigned, forged, expired or cross-session requests get
/// 401, unknown sessions 404, replays 409, and none of them change anything.
/// </summary>
public static class SessionEventsEndpoint
{
    public static void Map(WebApplication app, IClusterGateway gateway, string masterKey, TimeProvider clock)
    {
        app.MapPost("/" + Routes.Prefix + "/" + Routes.SessionEvents, async (string @namespace, string kind, string name, HttpRequest request, CancellationToken cancellationToken) =>
        {
            if (!Names.IsDnsLabel(@namespace) || !Names.IsDnsSubdomain(name))
            {
                return Problem(400, $"namespace '{@namespace}' or name '{name}' is not a valid Kubernetes name: use lower-case letters, digits and '-'");
            }
            if (kind != "backup")
            {
                return Problem(404, $"kind '{kind}' has no event route here: use backup");
            }
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, cancellationToken);
            var body = buffer.ToArray();

            for (var attempt = 0; ; attempt++)
            {
                var session = await gateway.GetBackupSessionAsync(@namespace, name, cancellationToken);
                if (session is null)
                {
                    return Problem(404, $"BackupSession {@namespace}/{name} does not exist");
                }
                var token = WebhookSigner.SessionToken(masterKey, @namespace, BackupSession.KindName, name, session.Metadata.Uid ?? "");
                var timestamp = request.Headers[WebhookHeaders.Timestamp].ToString();
                var verdict = WebhookSigner.Verify(token, timestamp, request.Headers[WebhookHeaders.Signature].ToString(), body, clock.GetUtcNow());
                if (verdict != WebhookVerdict.Valid)
                {
                    return Problem(401, verdict switch
                    {
                        WebhookVerdict.Unsigned => $"the request is not signed: send {WebhookHeaders.Timestamp} and {WebhookHeaders.Signature}",
                        WebhookVerdict.MalformedTimestamp => $"{WebhookHeaders.Timestamp} is not Unix milliseconds",
                        WebhookVerdict.Expired => $"{WebhookHeaders.Timestamp} is more than 5 minutes off: check the runner's clock",
                        _ => $"{WebhookHeaders.Signature} does not match: sign with this session's token",
                    });
                }
                WebhookSigner.TryParseTimestamp(timestamp, out var signedAt);
                RunnerEvent runnerEvent;
                try
                {
                    runnerEvent = RunnerJson.Deserialize(System.Text.Encoding.UTF8.GetString(body));
                }
                catch (Exception e) when (e is JsonException or NotSupportedException)
                {
                    return Problem(400, $"the body is not a runner event ({e.Message}): send one JSON event with a type of started, progress, succeeded or failed");
                }
                var outcome = SessionEventApplier.Apply(session.Status, name, @namespace, runnerEvent, signedAt);
                if (outcome.Status is null)
                {
                    return Problem(outcome.HttpStatus, outcome.Refusal!);
                }
                session.Status = outcome.Status;
                try
                {
                    await gateway.ReplaceBackupSessionStatusAsync(session, cancellationToken);
                    return Results.Json(new { session = name, phase = outcome.Status.Phase }, statusCode: 202);
                }
                catch (ConflictException) when (attempt < 3)
                {
                    // The reconciler or another event wrote meanwhile: read again and re-apply.
                }
            }
        });
    }

    private static IResult Problem(int status, string message) => Results.Json(new { error = message }, statusCode: status);
}
