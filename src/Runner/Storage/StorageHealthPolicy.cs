using Azure.Core;
using Azure.Core.Pipeline;

namespace Serverless.Backup.Runner.Storage;

/// <summary>Reports each attempt of the Azure SDK (a per-retry policy: it sees every try) to <see cref="StorageHealth"/>.</summary>
public sealed class StorageHealthPolicy(StorageHealth health) : HttpPipelinePolicy
{
    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var attempt = health.Begin();
        try
        {
            await ProcessNextAsync(message, pipeline);
        }
        catch (Exception e)
        {
            Failed(attempt, message, e);
            throw;
        }
        Answered(attempt, message);
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var attempt = health.Begin();
        try
        {
            ProcessNext(message, pipeline);
        }
        catch (Exception e)
        {
            Failed(attempt, message, e);
            throw;
        }
        Answered(attempt, message);
    }

    private void Failed(long attempt, HttpMessage message, Exception error)
    {
        if (message.CancellationToken.IsCancellationRequested)
        {
            health.Abandoned(attempt);
        }
        else
        {
            // A reset or refused connection, or the SDK's network timeout.
            health.Failed(attempt, error);
        }
    }

    private void Answered(long attempt, HttpMessage message) =>
        health.Answered(attempt, message.Response.Status, message.Response.ReasonPhrase,
            message.Response.Headers.TryGetValue("x-ms-error-code", out var code) ? code : null);
}
