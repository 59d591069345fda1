using System.Net;
using Serverless.Backup.WorkerHost.Rpc;

namespace Serverless.Backup.WorkerHost;

/// <summary>
/// An HTTP invocation through the ASP.NET Core integration: what the worker's HTTP server answered, and the
/// InvocationResponse it sent over gRPC for the same invocation id. <see cref="Invocation"/> is null when the host
/// answered by itself (a missing or wrong function key: 401, as the host refuses those before invoking).
/// </summary>
public sealed record HttpInvocationResult(
    string InvocationId,
    HttpStatusCode StatusCode,
    string Body,
    IReadOnlyDictionary<string, string> Headers,
    InvocationResponse? Invocation);
