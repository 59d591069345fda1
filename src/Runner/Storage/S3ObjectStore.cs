using System.Net;
using System.Runtime.CompilerServices;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Serverless.Backup.Core.Environment;

namespace Serverless.Backup.Runner.Storage;

/// <summary>
/// Objects in one S3 bucket (AWS or any S3-compatible endpoint), under the repository prefix, in restic's own
/// layout. Bodies are sent whole with a plain SigV4 payload hash: no aws-chunked streaming signatures and no
/// flexible checksums unless the operation requires them (S3-compatible servers such as s3rver store
/// aws-chunked bodies verbatim, which would corrupt the repository). Transient errors are retried by the SDK.
/// </summary>
public sealed class S3ObjectStore : IObjectStore, IDisposable
{
    private readonly AmazonS3Client _client;
    private readonly string _bucket;
    private readonly string _prefix;

    /// <param name="health">Told of every HTTP attempt, when the run watches the store (<see cref="StorageWatchdog"/>).</param>
    public S3ObjectStore(RepositorySettings settings, StorageHealth? health = null)
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = settings.S3ForcePathStyle,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            MaxErrorRetry = 6,
            RetryMode = RequestRetryMode.Standard,
            Timeout = TimeSpan.FromSeconds(100),
        };
        if (health is not null)
        {
            config.HttpClientFactory = new StorageHealthHttpClientFactory(health);
        }
        if (settings.S3Endpoint is { } endpoint)
        {
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = settings.S3Region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(settings.S3Region);
        }
        _client = settings.AwsAccessKeyId is { } keyId
            ? new AmazonS3Client(
                settings.AwsSessionToken is { } token
                    ? new SessionAWSCredentials(keyId, settings.AwsSecretAccessKey, token)
                    : new BasicAWSCredentials(keyId, settings.AwsSecretAccessKey),
                config)
            : new AmazonS3Client(config);
        _bucket = settings.S3Bucket!;
        _prefix = AzureBlobObjectStore.NormalizePrefix(settings.Prefix);
        Description = $"s3 bucket '{_bucket}' at {settings.S3Endpoint ?? "AWS " + settings.S3Region}" + (_prefix.Length > 0 ? $" prefix '{_prefix.TrimEnd('/')}'" : "");
    }

    public string Description { get; }

    public async Task EnsureContainerAsync(CancellationToken cancellationToken)
    {
        try
        {
            try
            {
                // A listing that matches at most the config object: cheap, and it proves read access.
                await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = _prefix + "config" }, cancellationToken);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                await _client.PutBucketAsync(new PutBucketRequest { BucketName = _bucket }, cancellationToken);
            }
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            throw new StorageUnreachableException($"{Description} refused the credentials ({e.ErrorCode}): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the workload's AWS role)", e);
        }
        catch (AmazonServiceException e)
        {
            var status = (int)e.StatusCode > 0 ? $"answered {(int)e.StatusCode} {e.StatusCode}{(e.ErrorCode is { Length: > 0 } code ? $" ({code})" : "")}: " : "";
            throw new StorageUnreachableException($"{Description} could not be reached ({status}{e.Message}): check S3_ENDPOINT, S3_REGION and the network", e);
        }
        catch (AmazonClientException e)
        {
            throw new StorageUnreachableException($"{Description} could not be used ({e.Message}): check the AWS credentials and S3_ENDPOINT", e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or System.Net.Sockets.SocketException)
        {
            // A connection reset or refused on every attempt (HttpIOException and SocketException are what the SDK lets through).
            throw new StorageUnreachableException($"{Description} could not be reached ({e.GetBaseException().Message}): check S3_ENDPOINT and the network", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new StorageUnreachableException($"{Description} did not answer: check S3_ENDPOINT and the network", e);
        }
    }

    public async Task<long?> GetSizeAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var metadata = await _client.GetObjectMetadataAsync(_bucket, _prefix + key, cancellationToken);
            return metadata.ContentLength;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<Stream> OpenReadAsync(string key, long offset, long? length, CancellationToken cancellationToken)
    {
        var request = new GetObjectRequest { BucketName = _bucket, Key = _prefix + key };
        if (offset > 0 || length is not null)
        {
            request.ByteRange = length is { } n ? new ByteRange(offset, offset + n - 1) : new ByteRange($"bytes={offset}-");
        }
        try
        {
            var response = await _client.GetObjectAsync(request, cancellationToken);
            return response.ResponseStream;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new ObjectNotFoundException(key);
        }
    }

    public async Task<bool> TryCreateAsync(string key, Stream content, long? length, string? sha256, CancellationToken cancellationToken)
    {
        // Objects other than config are named by their content's hash, so check-then-put cannot lose data.
        if (await GetSizeAsync(key, cancellationToken) is not null)
        {
            return false;
        }
        // A SigV4 payload hash needs the whole body before sending: it is held once, in a block of a pool of their
        // own (a pack fits in one; a fresh 6 MiB array per pack was garbage the size of the backup), read into with
        // reads as large as the REST server's socket gives.
        var buffer = Blocks.Rent(AzureBlobObjectStore.BlockSize);
        try
        {
            using var hashing = new HashingStream(content);
            var read = await hashing.ReadChunkAsync(buffer.AsMemory(0, AzureBlobObjectStore.BlockSize), cancellationToken);
            MemoryStream body;
            if (read < AzureBlobObjectStore.BlockSize)
            {
                body = new MemoryStream(buffer, 0, read, writable: false);
            }
            else
            {
                // Larger than a block (a large index): the whole of it, as before.
                body = new MemoryStream(length is { } n and < int.MaxValue ? (int)n : 2 * read);
                body.Write(buffer, 0, read);
                await hashing.CopyToAsync(body, cancellationToken);
                body.Position = 0;
            }
            using (body)
            {
                hashing.Verify(key, sha256);
                await _client.PutObjectAsync(new PutObjectRequest
                {
                    BucketName = _bucket,
                    Key = _prefix + key,
                    InputStream = body,
                    UseChunkEncoding = false,
                    AutoCloseStream = false,
                }, cancellationToken);
            }
            return true;
        }
        finally
        {
            Blocks.Return(buffer);
        }
    }

    /// <summary>One upload block per REST connection, as the Azure store keeps.</summary>
    private static readonly System.Buffers.ArrayPool<byte> Blocks =
        System.Buffers.ArrayPool<byte>.Create(AzureBlobObjectStore.BlockSize, ResticRepositoryEndpoint.RestConnections);

    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        if (await GetSizeAsync(key, cancellationToken) is null)
        {
            return false;
        }
        await _client.DeleteObjectAsync(_bucket, _prefix + key, cancellationToken);
        return true;
    }

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = _bucket, Prefix = _prefix + prefix };
        while (true)
        {
            var response = await _client.ListObjectsV2Async(request, cancellationToken);
            foreach (var item in response.S3Objects ?? [])
            {
                yield return new ObjectInfo(item.Key[_prefix.Length..], item.Size ?? 0);
            }
            if (response.IsTruncated != true)
            {
                yield break;
            }
            request.ContinuationToken = response.NextContinuationToken;
        }
    }

    public void Dispose() => _client.Dispose();
}
