using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using Serverless.Backup.Control;

var builder = FunctionsApplication.CreateBuilder(args);
// HTTP functions take ASP.NET Core's HttpRequest: the host forwards each request to the worker's own endpoint.
builder.ConfigureFunctionsWebApplication();
// Settings are checked when the worker starts: a missing or malformed one stops it with the setting's name.
builder.Services.AddBackupControlPlane(builder.Configuration, ControlPlaneHost.Functions);
builder.Build().Run();
