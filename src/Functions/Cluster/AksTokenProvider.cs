using System.Net.Http.Headers;
using Azure.Core;
using k8s.Authentication;
using Serverless.Backup.Functions.Settings;

namespace Serverless.Backup.Functions.Cluster;

/// <summary>Entra ID tokens for the AKS AAD server app, from a managed identity (or the developer's login), refreshed before they expire.</summary>
public sealed class AksTokenProvider(TokenCredential credential) : ITokenProvider
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private AccessToken token;

    public async Task<AuthenticationHeaderValue> GetAuthenticationHeaderAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (token.ExpiresOn <= DateTimeOffset.UtcNow.AddMinutes(5))
            {
                token = await credential.GetTokenAsync(new TokenRequestContext([FunctionsOptions.AksScope]), cancellationToken);
            }
            return new AuthenticationHeaderValue("Bearer", token.Token);
        }
        finally
        {
            gate.Release();
        }
    }
}
