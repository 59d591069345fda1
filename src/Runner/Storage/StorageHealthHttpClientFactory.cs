using Amazon.Runtime;

namespace Serverless.Backup.Runner.Storage;

/// <summary>
/// The S3 client's HTTP client, whose handler reports each attempt of the AWS SDK to <see cref="StorageHealth"/>. It
/// is made as the SDK makes its own (no redirects followed by the handler, no decompression, no cookies, the
/// client's timeouts), and is this store's alone: the SDK's shared cache would mix the attempts of two stores.
/// </summary>
public sealed class StorageHealthHttpClientFactory(StorageHealth health) : HttpClientFactory
{
    private HttpClient? _client;

    public override HttpClient CreateHttpClient(IClientConfig clientConfig) =>
        _client ??= new HttpClient(new StorageHealthHandler(health)
        {
            InnerHandler = new SocketsHttpHandler
            {
                AllowAutoRedirect = clientConfig.AllowAutoRedirect,
                AutomaticDecompression = System.Net.DecompressionMethods.None,
                UseCookies = false,
                MaxConnectionsPerServer = clientConfig.MaxConnectionsPerServer ?? int.MaxValue,
                ConnectTimeout = clientConfig.ConnectTimeout ?? Timeout.InfiniteTimeSpan,
            },
        })
        {
            Timeout = clientConfig.Timeout ?? TimeSpan.FromSeconds(100),
        };

    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;

    public override string GetConfigUniqueString(IClientConfig clientConfig) => "storage-health";
}
