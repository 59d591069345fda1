using Serverless.Backup.Core.Environment;
using Serverless.Backup.Functions.Hosting;
using Serverless.Backup.Functions.Settings;

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

var app = FunctionsApp.Build(options, new Dictionary<string, TimerHandler>());
await app.RunAsync();
return 0;
