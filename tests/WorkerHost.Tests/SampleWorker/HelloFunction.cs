using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Serverless.Backup.WorkerHost.SampleWorker;

/// <summary>An HTTP function on the ASP.NET Core integration: GET api/hello/{name} answers JSON.</summary>
public sealed class HelloFunction(ILogger<HelloFunction> logger)
{
    [Function("SampleHello")]
    public IActionResult Run(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "hello/{name}")] HttpRequest request,
        string name)
    {
        logger.LogInformation("SampleHello greets {Name}", name);
        return new OkObjectResult(new { greeting = $"Hello, {name}", path = request.Path.Value });
    }
}
