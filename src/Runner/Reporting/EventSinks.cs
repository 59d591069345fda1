using Serverless.Backup.Core.Environment;

namespace Serverless.Backup.Runner.Reporting;

/// <summary>The one place that decides where a run's events go.</summary>
public static class EventSinks
{
    public static IReadOnlyList<IEventSink> Create(RunnerSettings settings, HttpClient http, TextWriter stdout, TextWriter log)
    {
        var sinks = new List<IEventSink> { new StdoutEventSink(stdout) };
        if (settings.Reporting.PushgatewayUrl is { } pushgateway && Uri.TryCreate(pushgateway, UriKind.Absolute, out var url))
        {
            sinks.Add(new PushgatewayEventSink(url, settings.Session, http, log));
        }
        return sinks;
    }
}
