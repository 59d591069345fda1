using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Core.Webhook;

namespace Serverless.Backup.Testing;

/// <summary>
/// A webhook endpoint on loopback that checks each request's signature with the real verifier and keeps the
/// events it accepted; it can be told to answer 503 to the first requests.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<RunnerEvent> _accepted = [];
    private readonly List<SignatureCheck> _checks = [];
    private int _failuresLeft;

    private WebhookReceiver(WebApplication app, string token, int failFirst)
    {
        _app = app;
        _failuresLeft = failFirst;
        app.MapPost("/api/events", async (HttpContext context) =>
        {
            if (Interlocked.Decrement(ref _failuresLeft) >= 0)
            {
                return Results.StatusCode(503);
            }
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var check = WebhookSignature.Verify(token, context.Request.Headers[WebhookSignature.TimestampHeader],
                context.Request.Headers[WebhookSignature.SignatureHeader], body.ToArray(), DateTimeOffset.UtcNow);
            lock (_accepted)
            {
                _checks.Add(check);
                if (check == SignatureCheck.Valid)
                {
                    _accepted.Add(RunnerJson.Deserialize(System.Text.Encoding.UTF8.GetString(body.ToArray())));
                    Headers.Add(context.Request.Headers[WebhookSignature.SessionHeader].ToString());
                }
            }
            return check == SignatureCheck.Valid ? Results.Ok() : Results.StatusCode(401);
        });
    }

    public Uri Url { get; private set; } = null!;
    public List<string> Headers { get; } = [];

    public IReadOnlyList<RunnerEvent> Accepted
    {
        get
        {
            lock (_accepted)
            {
                return [.. _accepted];
            }
        }
    }

    public IReadOnlyList<SignatureCheck> Checks
    {
        get
        {
            lock (_accepted)
            {
                return [.. _checks];
            }
        }
    }

    public static async Task<WebhookReceiver> StartAsync(string token, int failFirst = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var receiver = new WebhookReceiver(builder.Build(), token, failFirst);
        await receiver._app.StartAsync();
        receiver.Url = new Uri(receiver._app.Urls.First().TrimEnd('/') + "/api/events");
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
