using Microsoft.Extensions.Logging;
using Serverless.Backup.Core.Environment;

namespace Serverless.Backup.Runner.Reporting;

/// <summary>The one place that decides where a run's events go.</summary>
public static class EventSinks
{
    public static IReadOnlyList<IEventSink> Create(RunnerSettings settings, string verb, HttpClient http, TextWriter stdout, ILogger log)
    {
        var sinks = new List<IEventSink> { new StdoutEventSink(stdout), new TerminationMessageSink(settings.Reporting.TerminationMessagePath) };
        if (settings.Reporting.WebhookUrl is { } webhook && Uri.TryCreate(webhook, UriKind.Absolute, out var webhookUrl)
            && settings.Reporting.WebhookToken is { } token && settings.Session.Name is not null)
        {
            sinks.Add(new WebhookEventSink(webhookUrl, token, settings.Session, verb, settings.Reporting.WebhookRetry, http, log));
        }
        if (settings.Reporting.PushgatewayUrl is { } pushgateway && Uri.TryCreate(pushgateway, UriKind.Absolute, out var url))
        {
            sinks.Add(new PushgatewayEventSink(url, settings.Session, http, log));
        }
        return sinks;
    }
}
