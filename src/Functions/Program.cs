using Serverless.Backup.Core.Environment;
using Serverless.Backup.Functions.Cluster;
using Serverless.Backup.Functions.Hosting;
using Serverless.Backup.Functions.Jobs;
using Serverless.Backup.Functions.Reconcile;
using Serverless.Backup.Functions.Schedules;
using Serverless.Backup.Functions.Settings;
using Serverless.Backup.Functions.Webhook;

// Publish step: `handler write-function-json <app root>` writes each function's function.json next to host.json.
if (args is ["write-function-json", var appRoot])
{
    foreach (var path in FunctionJsonWriter.Write(appRoot))
    {
        Console.WriteLine(path);
    }
    return 0;
}

FunctionsOptions options;
try
{
    options = FunctionsOptions.FromProcessEnvironment();
}
catch (SettingsException e)
{
    foreach (var error in e.Errors)
    {
        Console.Error.WriteLine(error);
    }
    return 2;
}

using var kubernetes = ClusterConnection.Create(options);
if (kubernetes is null)
{
    Console.Error.WriteLine("BACKUP_CLUSTER=folder is not available in this build: set BACKUP_CLUSTER to incluster, kubeconfig or aks");
    return 2;
}
var gateway = new KubernetesGateway(kubernetes);
var tick = new ScheduleTick(gateway, options.TimeZone);
var reconciler = new Reconciler(gateway, new JobSettings
{
    Image = options.RunnerImage!,
    WebhookBaseUrl = options.WebhookBaseUrl,
    PushgatewayUrl = options.PushgatewayUrl,
}, options.WebhookMasterKey!, TimeProvider.System);
var timers = new Dictionary<string, TimerHandler>
{
    [FunctionCatalog.ScheduleTick.Name] = (invocation, cancellationToken) => tick.RunAsync(invocation.UtcNow, cancellationToken),
    [FunctionCatalog.Reconcile.Name] = (_, cancellationToken) => reconciler.RunAsync(cancellationToken),
};
var app = FunctionsApp.Build(options, timers, a => SessionEventsEndpoint.Map(a, gateway, options.WebhookMasterKey!, TimeProvider.System));
if (options.Standalone)
{
    var standaloneTimers = new StandaloneTimers(timers, app.Logger, TimeProvider.System);
    _ = standaloneTimers.RunAsync(app.Lifetime.ApplicationStopping);
}
await app.RunAsync();
return 0;
