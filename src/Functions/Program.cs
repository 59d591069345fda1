using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Serverless.Backup.Control;

var builder = FunctionsApplication.CreateBuilder(args);
// HTTP functions take ASP.NET Core's HttpRequest: the host forwards each request to the worker's own endpoint.
builder.ConfigureFunctionsWebApplication();
// ILogger entries reach the Functions host over the worker's gRPC channel (with their level, category and the
// invocation id), and the host sends them to Application Insights. The console logger that the host defaults add
// would hand the host each entry a second time, as worker output: it is off.
builder.Logging.AddFilter<ConsoleLoggerProvider>(null, LogLevel.None);
// Settings are checked when the worker starts: a missing or malformed one stops it with the setting's name.
builder.Services.AddBackupControlPlane(builder.Configuration, ControlPlaneHost.Functions);
builder.Build().Run();
