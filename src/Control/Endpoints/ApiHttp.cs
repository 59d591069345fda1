using Microsoft.AspNetCore.Http;

namespace Serverless.Backup.Control.Endpoints;

/// <summary>
/// What both hosts do with an HTTP request of the API, so that they answer alike: read the body up to the limit,
/// make it an <see cref="ApiRequest"/>, write an <see cref="ApiResult"/> back (JSON, problem details for errors, or
/// the metrics text).
/// </summary>
public static class ApiHttp
{
    /// <summary>The whole body, or null when it is larger than the API takes (answer <see cref="TooLarge"/>).</summary>
    public static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > SessionEvents.MaxBodyBytes)
        {
            return null;
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > SessionEvents.MaxBodyBytes)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    public static ApiResult TooLarge { get; } = ApiResult.Error(413, $"the body is larger than {SessionEvents.MaxBodyBytes} bytes");

    public static ApiRequest Request(HttpRequest request, byte[] body) => new(
        request.RouteValues.ToDictionary(pair => pair.Key, pair => pair.Value?.ToString()),
        name => request.Query[name].FirstOrDefault(),
        name => request.Headers[name].FirstOrDefault(),
        body);

    /// <summary>Reads the request and runs <paramref name="function"/> on it.</summary>
    public static async Task<ApiResult> InvokeAsync(ControlApi api, string function, HttpRequest request)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        return await ReadBodyAsync(request, cancellationToken) is { } body
            ? await api.InvokeAsync(function, Request(request, body), cancellationToken)
            : TooLarge;
    }

    public static async Task WriteAsync(HttpContext context, ApiResult result)
    {
        context.Response.StatusCode = result.Status;
        if (result.Location is not null)
        {
            context.Response.Headers.Location = result.Location;
        }
        if (result.ContentType is { } contentType)
        {
            context.Response.ContentType = contentType;
            await context.Response.WriteAsync((string)result.Body, context.RequestAborted);
            return;
        }
        await context.Response.WriteAsJsonAsync(result.Body, result.Body.GetType(), SessionApi.Json,
            result.IsProblem ? "application/problem+json" : "application/json", context.RequestAborted);
    }
}
