using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Logging;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Core.Webhook;
using Serverless.Backup.Runner.Logging;

namespace Serverless.Backup.Runner.Reporting;

/// <summary>
/// POSTs each event to the Functions app's webhook, signed with the session's token. The final event is retried
/// with exponential backoff for WEBHOOK_RETRY_SECONDS (two minutes by default); a progress event is tried once (the next one supersedes it).
/// A webhook that stays down never fails the run: the control plane settles the session from the Job's status.
/// </summary>
public sealed class WebhookEventSink(Uri url, string token, SessionSettings session, string verb, TimeSpan retryFor, HttpClient http, ILogger log) : IEventSink
{
    /// <summary>Waits between attempts: 1, 2, 4 … s (at most 60 s each), adding up to about <c>retryFor</c>.</summary>
    public IReadOnlyList<TimeSpan> Delays { get; } = BackoffFor(retryFor);

    private static List<TimeSpan> BackoffFor(TimeSpan total)
    {
        var delays = new List<TimeSpan>();
        var next = TimeSpan.FromSeconds(1);
        for (var sum = TimeSpan.Zero; sum < total; sum += next, next = TimeSpan.FromSeconds(Math.Min(60, next.TotalSeconds * 2)))
        {
            delays.Add(next < total - sum ? next : total - sum);
        }
        return delays;
    }

    /// <summary>The session kind the control plane dispatched the verb for (check, forget, unlock, verify and archive run as MaintenanceSessions).</summary>
    public string SessionKind => verb switch
    {
        "restore" => "RestoreSession",
        "check" or "forget" or "unlock" or "verify" or "archive" => "MaintenanceSession",
        _ => "BackupSession",
    };

    public async ValueTask PublishAsync(RunnerEvent runnerEvent, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(RunnerJson.Serialize(runnerEvent));
        var attempts = runnerEvent is ProgressEvent ? 1 : Delays.Count + 1;
        string? lastError = null;
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(Delays[attempt - 1], cancellationToken);
            }
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                request.Headers.Add(WebhookSignature.SessionHeader, $"{session.Namespace}/{SessionKind}/{session.Name}");
                request.Headers.Add(WebhookSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
                request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(token, timestamp, body));
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(15));
                using var response = await http.SendAsync(request, timeout.Token);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
                lastError = $"HTTP {(int)response.StatusCode}";
                // 4xx other than 408/429 will not change by retrying (bad signature, unknown session).
                if ((int)response.StatusCode is >= 400 and < 500 and not 408 and not 429)
                {
                    break;
                }
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                lastError = e.Message;
            }
        }
        log.Warning($"the webhook at {url} did not take the {runnerEvent.GetType().Name} ({lastError}); the run goes on and the control plane will settle the session from the Job's status (check WEBHOOK_URL and WEBHOOK_TOKEN)");
    }
}
