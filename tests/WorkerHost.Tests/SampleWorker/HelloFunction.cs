using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Serverless.Backup.WorkerHost.SampleWorker;

/// <summary>
/// An HTTP function on the ASP.NET Core integration: api/hello/{name} answers JSON. A POST also echoes its body and
/// the X-Sample header, so the tests see that bodies and headers reach the function unchanged (the webhook of the
/// real app signs its raw body).
/// </summary>
public sealed class HelloFunction(ILogger<HelloFunction> logger)
{
    [Function("SampleHello")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "get", "post", Route = "hello/{name}")] HttpRequest request,
        string name)
    {
        logger.LogInformation("SampleHello greets {Name}", name);
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        return new OkObjectResult(new
        {
            greeting = $"Hello, {name}",
            path = request.Path.Value,
            method = request.Method,
            body,
            header = request.Headers["X-Sample"].ToString(),
        });
    }
}
