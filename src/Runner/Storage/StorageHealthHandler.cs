namespace Serverless.Backup.Runner.Storage;

/// <summary>Reports each HTTP attempt (its answer, or how it failed) to <see cref="StorageHealth"/>.</summary>
public sealed class StorageHealthHandler(StorageHealth health) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var attempt = health.Begin();
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // The caller gave up, or the client's timeout passed: the same token says both.
            health.Abandoned(attempt);
            throw;
        }
        catch (Exception e)
        {
            health.Failed(attempt, e);
            throw;
        }
        health.Answered(attempt, (int)response.StatusCode, response.ReasonPhrase, null);
        return response;
    }
}
