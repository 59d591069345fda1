using Microsoft.Extensions.Options;
using Serverless.Backup.Control;
using Serverless.Backup.Control.Observability;
using Serverless.Backup.Core.Logging;
using Serverless.Backup.Standalone;

var builder = WebApplication.CreateSlimBuilder(args);
// One JSON object a line on stdout, the same format as the runner's log (Core's JsonLogging).
builder.Logging.ClearProviders().AddBackupJsonConsole();
builder.Services.AddBackupControlPlane(builder.Configuration, ControlPlaneHost.Standalone);
// Session events, status gauges, the log and the timer runs to Application Insights, only with
// APPLICATIONINSIGHTS_CONNECTION_STRING set; without it nothing leaves the machine.
builder.Services.AddBackupTelemetry(builder.Configuration, TelemetryHost.Standalone);
builder.Services.AddSingleton<ApiKeyFilter>();
builder.Services.AddApiDocument();
builder.Services.AddHostedService<TimerService>();
builder.WebHost.ConfigureKestrel(kestrel =>
{
    // Long request lines reach the app, which answers them with the API's error body (414) instead of
    // Kestrel's bare one.
    kestrel.Limits.MaxRequestLineSize = 64 << 10;
});
builder.WebHost.UseUrls(builder.Configuration[StandaloneRoutes.ListenUrlSetting] is { Length: > 0 } url ? url : StandaloneRoutes.DefaultListenUrl);
var app = builder.Build();
app.MapControlPlane();
try
{
    await app.RunAsync();
    return 0;
}
catch (OptionsValidationException e)
{
    // A setting missing or malformed: each line names it and its fix; nothing has started.
    foreach (var failure in e.Failures)
    {
        Console.Error.WriteLine("error: " + failure);
    }
    return 2;
}
