using System.Net.Http.Headers;
using Azure.Core;
using k8s.Authentication;

namespace Serverless.Backup.Control.Cluster;

/// <summary>Entra ID tokens for the AKS AAD server application, from a managed identity, renewed 5 minutes before they expire.</summary>
public sealed class AksTokenProvider(TokenCredential credential) : ITokenProvider
{
    /// <summary>The well-known AKS AAD server application (the same for every AKS cluster).</summary>
    public const string Scope = "6dae42f8-4368-4678-94ff-3960e28e3630/.default";

    private readonly SemaphoreSlim gate = new(1, 1);
    private AccessToken token;

    public async Task<AuthenticationHeaderValue> GetAuthenticationHeaderAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (token.ExpiresOn <= DateTimeOffset.UtcNow.AddMinutes(5))
            {
                token = await credential.GetTokenAsync(new TokenRequestContext([Scope]), cancellationToken);
            }
            return new AuthenticationHeaderValue("Bearer", token.Token);
        }
        finally
        {
            gate.Release();
        }
    }
}
