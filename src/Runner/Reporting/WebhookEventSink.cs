using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Logging;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Core.Webhook;

namespace Serverless.Backup.Runner.Reporting;

/// <summary>
/// POSTs each event to the Functions app's SessionEvents webhook, signed with the session's token.
/// Retries transient failures (network errors, 408, 429, 5xx) with exponential backoff, then logs a warning and
/// carries on: a webhook that is down never fails a good backup (the reconciler still sees the Job's result).
/// A 4xx other than 408/429 is not retried: the app refused the event and will refuse it again.
/// </summary>
public sealed class WebhookEventSink(HttpClient http, Uri webhookUrl, string token, ILogger logger, int maxAttempts = 5, TimeSpan? firstDelay = null)
    : IEventSink
{
    private readonly TimeSpan firstDelay = firstDelay ?? TimeSpan.FromMilliseconds(500);

    public async ValueTask PublishAsync(RunnerEvent runnerEvent, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(RunnerJson.Serialize(runnerEvent));
        var delay = firstDelay;
        for (var attempt = 1; ; attempt++)
        {
            string? problem;
            try
            {
                // Signed per attempt: a retry a few seconds later carries a fresh timestamp (the app only accepts
                // an event newer than the last one it accepted, and a retry of a refused-as-replay event is harmless).
                using var request = new HttpRequestMessage(HttpMethod.Post, webhookUrl);
                var timestamp = WebhookSigner.Timestamp(DateTimeOffset.UtcNow);
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.Add(WebhookHeaders.Timestamp, timestamp);
                request.Headers.Add(WebhookHeaders.Signature, WebhookSigner.Sign(token, timestamp, body));
                using var response = await http.SendAsync(request, cancellationToken);
                var status = (int)response.StatusCode;
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
                problem = $"HTTP {status}";
                if (status is >= 400 and < 500 and not 408 and not 429)
                {
                    logger.LogWarning("The webhook refused the {EventType} event of {Session} with {Status}; not retrying", EventType(runnerEvent), runnerEvent.Session, status);
                    return;
                }
            }
            catch (HttpRequestException e)
            {
                problem = e.Message;
            }
            catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                problem = "timed out: " + e.Message;
            }
            if (attempt >= maxAttempts)
            {
                logger.LogWarning("The webhook could not take the {EventType} event of {Session} after {Attempts} attempts ({Problem}); the run carries on", EventType(runnerEvent), runnerEvent.Session, attempt, problem);
                return;
            }
            await Task.Delay(delay, cancellationToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
        }
    }

    private static string EventType(RunnerEvent e) => e switch
    {
        StartedEvent => "started",
        ProgressEvent => "progress",
        SucceededEvent => "succeeded",
        FailedEvent => "failed",
        _ => "unknown",
    };
}
