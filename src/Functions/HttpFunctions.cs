using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Serverless.Backup.Control;
using Serverless.Backup.Control.Endpoints;

namespace Serverless.Backup.Functions;

/// <summary>
/// The HTTP functions: each hands its request to the control plane and writes its answer back (errors as problem
/// details). The host checks function keys; the runner's webhook is anonymous and authenticated by its signature.
/// </summary>
public sealed class HttpFunctions(ControlApi api)
{
    [Function(FunctionNames.TriggerBackup)]
    public Task<IActionResult> TriggerBackup([HttpTrigger(AuthorizationLevel.Function, "post", Route = Routes.TriggerBackup)] HttpRequest request) =>
        InvokeAsync(FunctionNames.TriggerBackup, request);

    [Function(FunctionNames.CreateRestore)]
    public Task<IActionResult> CreateRestore([HttpTrigger(AuthorizationLevel.Function, "post", Route = Routes.CreateRestore)] HttpRequest request) =>
        InvokeAsync(FunctionNames.CreateRestore, request);

    [Function(FunctionNames.GetSession)]
    public Task<IActionResult> GetSession([HttpTrigger(AuthorizationLevel.Function, "get", Route = Routes.GetSession)] HttpRequest request) =>
        InvokeAsync(FunctionNames.GetSession, request);

    [Function(FunctionNames.ListSessions)]
    public Task<IActionResult> ListSessions([HttpTrigger(AuthorizationLevel.Function, "get", Route = Routes.ListSessions)] HttpRequest request) =>
        InvokeAsync(FunctionNames.ListSessions, request);

    [Function(FunctionNames.ListSnapshots)]
    public Task<IActionResult> ListSnapshots([HttpTrigger(AuthorizationLevel.Function, "get", Route = Routes.ListSnapshots)] HttpRequest request) =>
        InvokeAsync(FunctionNames.ListSnapshots, request);

    [Function(FunctionNames.GetPointInTime)]
    public Task<IActionResult> GetPointInTime([HttpTrigger(AuthorizationLevel.Function, "get", Route = Routes.GetPointInTime)] HttpRequest request) =>
        InvokeAsync(FunctionNames.GetPointInTime, request);

    [Function(FunctionNames.StartMaintenance)]
    public Task<IActionResult> StartMaintenance([HttpTrigger(AuthorizationLevel.Function, "post", Route = Routes.StartMaintenance)] HttpRequest request) =>
        InvokeAsync(FunctionNames.StartMaintenance, request);

    [Function(FunctionNames.Metrics)]
    public Task<IActionResult> Metrics([HttpTrigger(AuthorizationLevel.Function, "get", Route = Routes.Metrics)] HttpRequest request) =>
        InvokeAsync(FunctionNames.Metrics, request);

    [Function(FunctionNames.SessionEvents)]
    public Task<IActionResult> SessionEvents([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Routes.SessionEvents)] HttpRequest request) =>
        InvokeAsync(FunctionNames.SessionEvents, request);

    // The API's OpenAPI document (docs/openapi.json, built into the control plane), without a key.
    [Function(FunctionNames.OpenApiDocument)]
    public Task<IActionResult> OpenApiDocument([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Routes.OpenApiDocument)] HttpRequest request) =>
        InvokeAsync(FunctionNames.OpenApiDocument, request);

    private async Task<IActionResult> InvokeAsync(string function, HttpRequest request) =>
        new ApiActionResult(await ApiHttp.InvokeAsync(api, function, request));

    private sealed class ApiActionResult(ApiResult result) : IActionResult
    {
        public Task ExecuteResultAsync(ActionContext context) => ApiHttp.WriteAsync(context.HttpContext, result);
    }
}
