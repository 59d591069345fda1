using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Serverless.Backup.Runner.Database;
using Serverless.Backup.Runner.Reporting;

namespace Serverless.Backup.Runner.Streaming;

/// <summary>
/// The runner's hands on a SQL stream between two processes: it copies, counts, hashes (SHA-256) and remembers
/// the last bytes, so the run can tell a complete dump (mysqldump's completion trailer) from a truncated one.
/// </summary>
public sealed class SqlStreamMeter(string database, Reporter reporter) : IDisposable
{
    private const int BufferSize = 128 * 1024;
    private const int QueueDepth = 64; // up to 8 MiB in flight

    /// <summary>The copy's own pool: bounded, so what it keeps between databases stays small.</summary>
    private static readonly ArrayPool<byte> Buffers = ArrayPool<byte>.Create(BufferSize, QueueDepth + 4);
    private const int TailSize = 256;

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _tail = new byte[TailSize];
    private int _tailLength;
    private string? _sha256;
    private long _written;

    public long Bytes { get; private set; }

    /// <summary>
    /// Copies source to destination. Reading (and hashing) and writing run concurrently through a bounded queue of
    /// buffers, so the producer keeps producing while the consumer is busy: copying in one loop would leave each
    /// side idle while the other's pipe fills, which costs a third of the throughput of a plain shell pipe.
    /// </summary>
    public async Task CopyAsync(Stream source, Stream destination, CancellationToken cancellationToken)
    {
        var queue = System.Threading.Channels.Channel.CreateBounded<(byte[] Buffer, int Length)>(
            new System.Threading.Channels.BoundedChannelOptions(QueueDepth) { SingleReader = true, SingleWriter = true });
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var writer = Task.Run(async () =>
        {
            try
            {
                await foreach (var (buffer, length) in queue.Reader.ReadAllAsync(failed.Token))
                {
                    try
                    {
                        await destination.WriteAsync(buffer.AsMemory(0, length), failed.Token);
                    }
                    finally
                    {
                        Buffers.Return(buffer);
                    }
                    reporter.Advance(database, Interlocked.Add(ref _written, length), length);
                }
                await destination.FlushAsync(failed.Token);
            }
            catch
            {
                // The consumer stopped reading: stop the reader too.
                await failed.CancelAsync();
                throw;
            }
        }, CancellationToken.None);

        Exception? readError = null;
        try
        {
            while (true)
            {
                var buffer = Buffers.Rent(BufferSize);
                var read = await source.ReadAsync(buffer.AsMemory(0, BufferSize), failed.Token);
                if (read == 0)
                {
                    Buffers.Return(buffer);
                    break;
                }
                _hash.AppendData(buffer, 0, read);
                RememberTail(buffer, read);
                Bytes += read;
                await queue.Writer.WriteAsync((buffer, read), failed.Token);
            }
            queue.Writer.Complete();
        }
        catch (Exception e)
        {
            readError = e;
            queue.Writer.TryComplete(e);
            await failed.CancelAsync();
        }
        try
        {
            await writer;
        }
        catch (Exception) when (readError is not null and not OperationCanceledException)
        {
            // The reader's error is the cause; the writer only stopped because of it.
        }
        if (readError is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(readError);
        }
    }

    /// <summary>Lower-case hex SHA-256 of everything copied; call after the copy finished.</summary>
    public string Sha256 => _sha256 ??= Convert.ToHexStringLower(_hash.GetHashAndReset());

    /// <summary>True when the stream's last line is mysqldump's completion trailer.</summary>
    public bool EndsWithCompletionTrailer
    {
        get
        {
            var text = Encoding.ASCII.GetString(_tail, 0, _tailLength).TrimEnd('\n', '\r', ' ');
            var lastLine = text[(text.LastIndexOf('\n') + 1)..];
            return lastLine.StartsWith(MySqlTools.CompletionTrailer, StringComparison.Ordinal);
        }
    }

    private void RememberTail(byte[] buffer, int read)
    {
        if (read >= TailSize)
        {
            Array.Copy(buffer, read - TailSize, _tail, 0, TailSize);
            _tailLength = TailSize;
            return;
        }
        var keep = Math.Min(_tailLength, TailSize - read);
        Array.Copy(_tail, _tailLength - keep, _tail, 0, keep);
        Array.Copy(buffer, 0, _tail, keep, read);
        _tailLength = keep + read;
    }

    public void Dispose() => _hash.Dispose();
}
