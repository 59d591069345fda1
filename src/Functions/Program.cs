using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging.Console;
using Serverless.Backup.Control;
using Serverless.Backup.Control.Observability;

var builder = FunctionsApplication.CreateBuilder(args);
// HTTP functions take ASP.NET Core's HttpRequest: the host forwards each request to the worker's own endpoint.
builder.ConfigureFunctionsWebApplication();
// The worker's own telemetry (its logs, outgoing calls and exceptions) goes to Application Insights directly,
// under the invocation's operation id. Without APPLICATIONINSIGHTS_CONNECTION_STRING (local runs, tests) nothing is sent.
builder.Services.AddApplicationInsightsTelemetryWorkerService().ConfigureFunctionsApplicationInsights();
// The SDK adds a rule that keeps only warnings for its own logger; without it, information logs reach it too.
builder.Logging.Services.Configure<LoggerFilterOptions>(options =>
{
    var warningsOnly = options.Rules.FirstOrDefault(rule =>
        rule.ProviderName == "Microsoft.Extensions.Logging.ApplicationInsights.ApplicationInsightsLoggerProvider");
    if (warningsOnly is not null)
    {
        options.Rules.Remove(warningsOnly);
    }
});
// ILogger entries reach the Functions host over the worker's gRPC channel (with their level, category and the
// invocation id), and the host sends them to Application Insights. The console logger that the host defaults add
// would hand the host each entry a second time, as worker output: it is off.
builder.Logging.AddFilter<ConsoleLoggerProvider>(null, LogLevel.None);
// Settings are checked when the worker starts: a missing or malformed one stops it with the setting's name.
builder.Services.AddBackupControlPlane(builder.Configuration, ControlPlaneHost.Functions);
// The control plane's own telemetry beside the worker's: each session's events (AppEvents) under the operation
// that created it, and the per-configuration gauges (AppMetrics), through OpenTelemetry's Azure Monitor exporter,
// only with APPLICATIONINSIGHTS_CONNECTION_STRING set (docs/operations.md, "Azure portal").
builder.Services.AddBackupTelemetry(builder.Configuration, TelemetryHost.FunctionsWorker);
try
{
    builder.Build().Run();
    return 0;
}
catch (OptionsValidationException e)
{
    // A setting missing or malformed: one line each, naming it and its fix, which the host logs as the
    // worker's output; nothing has started.
    foreach (var failure in e.Failures)
    {
        Console.Error.WriteLine("error: " + failure);
    }
    return 2;
}
