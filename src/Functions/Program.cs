using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Functions.Cluster;
using Serverless.Backup.Functions.Hosting;
using Serverless.Backup.Functions.Observability;
using Serverless.Backup.Functions.Settings;

// `handler generate-app <folder>`: writes host.json and the function folders (the publish step).
if (args is ["generate-app", var folder])
{
    FunctionAppLayout.Write(folder);
    Console.WriteLine($"wrote host.json and {FunctionCatalog.All.Count} functions to {folder}");
    return 0;
}

// `handler package-app <folder> <zip>`: zips the published folder for zip deploy, keeping the executable bit.
if (args is ["package-app", var appFolder, var zipPath])
{
    FunctionAppPackage.Zip(appFolder, zipPath);
    Console.WriteLine($"wrote {zipPath}");
    return 0;
}

var endpoint = FunctionsHost.CustomHandlerEndpoint();
var standalone = endpoint is null;
AppSettings settings;
try
{
    settings = EnvContract.FromProcessEnvironment<AppSettings>();
}
catch (SettingsException e)
{
    e.Errors.ToList().ForEach(error => Console.Error.WriteLine("error: " + error));
    return 2;
}
var errors = settings.Validate(standalone);
if (errors.Count > 0)
{
    errors.ToList().ForEach(error => Console.Error.WriteLine("error: " + error));
    return 2;
}

using var kubernetes = ClusterConnection.Create(settings);
var metrics = new ControlPlaneMetrics();
// One JSON object a line on stdout: the Functions host forwards each line to Application Insights.
var log = new JsonLog(Console.Out, TimeProvider.System);
IClusterGateway cluster = kubernetes is null
    ? new FolderGateway(settings.ResourcesFolder!, new LocalJobRunner(settings.RunnerCommand, Console.Error))
    : new KubernetesGateway(kubernetes, metrics);
var host = new FunctionsHost(settings, cluster, standalone, TimeProvider.System, metrics, log);
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel =>
{
    // Long request lines reach the app, which answers them with the API's error body (414) instead of
    // Kestrel's bare one.
    kestrel.Limits.MaxRequestLineSize = 64 << 10;
    if (endpoint is not null)
    {
        // The handler port is not protected by the host: bind to loopback only.
        kestrel.Listen(endpoint);
    }
});
if (standalone)
{
    builder.WebHost.UseUrls(settings.ListenUrl);
}
var app = builder.Build();
host.Map(app);
using var stop = new CancellationTokenSource();
app.Lifetime.ApplicationStopping.Register(stop.Cancel);
var timers = standalone ? host.RunTimersAsync(stop.Token) : Task.CompletedTask;
await app.RunAsync();
await timers;
return 0;
