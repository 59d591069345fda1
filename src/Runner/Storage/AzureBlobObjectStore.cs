using System.Runtime.CompilerServices;
using Azure;
using Azure.Core;
using Azure.Identity;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using System.Buffers;
using Serverless.Backup.Core.Environment;

namespace Serverless.Backup.Runner.Storage;

/// <summary>
/// Objects as block blobs in one container, under the repository prefix, in restic's own layout (so the
/// container can also be opened with restic's native azure backend). Credentials, in order: a connection
/// string, an account key, a SAS token, else DefaultAzureCredential (workload identity in AKS: the webhook
/// injects AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE). Transient errors are retried by
/// the SDK's exponential retry policy.
/// </summary>
public sealed class AzureBlobObjectStore : IObjectStore
{
    private readonly BlobContainerClient _container;
    private readonly string _prefix;
    private readonly string _credentialSetting;

    /// <param name="health">Told of every HTTP attempt, when the run watches the store (<see cref="StorageWatchdog"/>).</param>
    public AzureBlobObjectStore(RepositorySettings settings, StorageHealth? health = null)
    {
        var options = new BlobClientOptions
        {
            Retry =
            {
                Mode = RetryMode.Exponential,
                MaxRetries = 6,
                Delay = TimeSpan.FromMilliseconds(500),
                MaxDelay = TimeSpan.FromSeconds(30),
                NetworkTimeout = TimeSpan.FromSeconds(100),
            },
        };
        if (health is not null)
        {
            options.AddPolicy(new StorageHealthPolicy(health), HttpPipelinePosition.PerRetry);
        }
        var endpoint = new Uri(settings.AzureEndpoint ?? $"https://{settings.AzureAccountName}.blob.core.windows.net");
        BlobServiceClient service;
        if (settings.AzureConnectionString is { } connectionString)
        {
            service = new BlobServiceClient(connectionString, options);
            _credentialSetting = "AZURE_STORAGE_CONNECTION_STRING";
        }
        else if (settings.AzureAccountKey is { } key)
        {
            var account = settings.AzureAccountName ?? endpoint.AbsolutePath.Trim('/').Split('/')[0];
            service = new BlobServiceClient(endpoint, new StorageSharedKeyCredential(account, key), options);
            _credentialSetting = "AZURE_ACCOUNT_NAME and AZURE_ACCOUNT_KEY";
        }
        else if (settings.AzureSasToken is { } sas)
        {
            service = new BlobServiceClient(endpoint, new AzureSasCredential(sas.TrimStart('?')), options);
            _credentialSetting = "AZURE_ACCOUNT_SAS";
        }
        else
        {
            service = new BlobServiceClient(endpoint, new DefaultAzureCredential(), options);
            _credentialSetting = "the workload identity (the runner's ServiceAccount needs 'Storage Blob Data Contributor' on the container), or AZURE_ACCOUNT_KEY";
        }
        _container = service.GetBlobContainerClient(settings.AzureContainer);
        _prefix = NormalizePrefix(settings.Prefix);
        Description = $"azure container '{_container.Name}' at {service.Uri.GetLeftPart(UriPartial.Path).TrimEnd('/')}" + (_prefix.Length > 0 ? $" prefix '{_prefix.TrimEnd('/')}'" : "");
    }

    public string Description { get; }

    internal static string NormalizePrefix(string? prefix) =>
        string.IsNullOrWhiteSpace(prefix) ? "" : prefix.Trim('/') + "/";

    private BlobClient Blob(string key) => _container.GetBlobClient(_prefix + key);

    public async Task EnsureContainerAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 403 && _credentialSetting == "AZURE_ACCOUNT_SAS")
        {
            // A container-scoped SAS cannot create containers: prove it can list instead.
            await ProbeListAsync(e, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 401 or 403)
        {
            throw new StorageUnreachableException($"{Description} refused the credentials ({e.ErrorCode ?? e.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)}): check {_credentialSetting}", e);
        }
        catch (AuthenticationFailedException e)
        {
            throw new StorageUnreachableException($"no Azure credential for {Description} ({e.Message.Split('\n')[0]}): set {_credentialSetting}", e);
        }
        catch (Exception e) when (e is RequestFailedException or AggregateException)
        {
            // After its retries the SDK throws the attempts' errors together.
            var first = e is AggregateException all ? all.InnerExceptions[0] : e;
            var status = first is RequestFailedException { Status: > 0 } failed ? $"answered {failed.Status}{(failed.ErrorCode is { } code ? $" {code}" : "")}: " : "";
            throw new StorageUnreachableException($"{Description} could not be reached ({status}{first.Message.Split('\n')[0]}): check AZURE_ENDPOINT (or AZURE_ACCOUNT_NAME) and the network", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new StorageUnreachableException($"{Description} did not answer: check AZURE_ENDPOINT (or AZURE_ACCOUNT_NAME) and the network", e);
        }
    }

    private async Task ProbeListAsync(RequestFailedException createFailure, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var _ in _container.GetBlobsAsync(BlobTraits.None, BlobStates.None, _prefix, cancellationToken: cancellationToken))
            {
                break;
            }
        }
        catch (RequestFailedException e)
        {
            throw new StorageUnreachableException($"{Description} refused the SAS ({e.ErrorCode}): check AZURE_ACCOUNT_SAS (it needs read, write, delete and list on the container)", createFailure);
        }
    }

    public async Task<long?> GetSizeAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var properties = await Blob(key).GetPropertiesAsync(cancellationToken: cancellationToken);
            return properties.Value.ContentLength;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<Stream> OpenReadAsync(string key, long offset, long? length, CancellationToken cancellationToken)
    {
        try
        {
            var result = await Blob(key).DownloadStreamingAsync(
                new BlobDownloadOptions { Range = new HttpRange(offset, length) }, cancellationToken);
            return result.Value.Content;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new ObjectNotFoundException(key);
        }
    }

    /// <summary>
    /// Uploads up to this size go as one request once their hash is checked; larger ones are staged in blocks of
    /// this size as they arrive. Memory per upload stays at one block.
    /// </summary>
    public const int BlockSize = 8 * 1024 * 1024;

    /// <summary>
    /// A pool of its own: the shared pool keeps several large arrays per core, which shows up as resident memory;
    /// this one keeps at most one block per REST connection.
    /// </summary>
    private static readonly ArrayPool<byte> Blocks = ArrayPool<byte>.Create(BlockSize, ResticRepositoryEndpoint.RestConnections);

    /// <summary>
    /// The blocks of all REST connections are taken (and their pages written) at the first upload, not when two
    /// uploads first overlap: the runner's memory reaches its ceiling at once and stays there whatever the size of
    /// the database, so a memory limit that is too small fails a backup in its first seconds, not an hour into it.
    /// </summary>
    private static readonly Lazy<bool> BlocksReserved = new(() =>
    {
        var blocks = Enumerable.Range(0, ResticRepositoryEndpoint.RestConnections).Select(_ => Blocks.Rent(BlockSize)).ToList();
        foreach (var block in blocks)
        {
            block.AsSpan().Fill(0);
            Blocks.Return(block);
        }
        return true;
    });

    public async Task<bool> TryCreateAsync(string key, Stream content, long? length, string? sha256, CancellationToken cancellationToken)
    {
        var blob = _container.GetBlockBlobClient(_prefix + key);
        // Create only: an existing blob is never overwritten (and an existing one means the same content).
        var createOnly = new BlobRequestConditions { IfNoneMatch = ETag.All };
        _ = BlocksReserved.Value;
        var buffer = Blocks.Rent(BlockSize);
        try
        {
            using var hashing = new HashingStream(content);
            var read = await hashing.ReadChunkAsync(buffer.AsMemory(0, BlockSize), cancellationToken);
            // A full buffer with an unknown length may have more behind it: stage it (one block is fine too).
            var more = read == BlockSize && (length is null || length > BlockSize);
            if (!more)
            {
                // The whole object is in hand: check it, then one request.
                hashing.Verify(key, sha256);
                using var whole = new MemoryStream(buffer, 0, read, writable: false);
                await blob.UploadAsync(whole, new BlobUploadOptions { Conditions = createOnly }, cancellationToken);
                return true;
            }
            // Stage block by block while hashing, and commit the block list only when the hash matches: a blob with
            // the wrong content never becomes visible (uncommitted blocks expire on their own).
            var blocks = new List<string>();
            while (read > 0)
            {
                var id = Convert.ToBase64String(BitConverter.GetBytes((long)blocks.Count));
                using (var block = new MemoryStream(buffer, 0, read, writable: false))
                {
                    await blob.StageBlockAsync(id, block, new BlockBlobStageBlockOptions(), cancellationToken);
                }
                blocks.Add(id);
                read = await hashing.ReadChunkAsync(buffer.AsMemory(0, BlockSize), cancellationToken);
            }
            hashing.Verify(key, sha256);
            await blob.CommitBlockListAsync(blocks, new CommitBlockListOptions { Conditions = createOnly }, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return false;
        }
        finally
        {
            Blocks.Return(buffer);
        }
    }

    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken) =>
        (await Blob(key).DeleteIfExistsAsync(cancellationToken: cancellationToken)).Value;

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var blob in _container.GetBlobsAsync(BlobTraits.None, BlobStates.None, _prefix + prefix, cancellationToken: cancellationToken))
        {
            yield return new ObjectInfo(blob.Name[_prefix.Length..], blob.Properties.ContentLength ?? 0);
        }
    }
}
