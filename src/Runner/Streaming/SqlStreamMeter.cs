using System.Buffers;
using System.Collections.Concurrent;
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
    private const int BufferSize = 256 * 1024;
    private const int BufferCount = 8; // 2 MiB in flight at most

    /// <summary>The copy's own pool, which keeps one set of buffers between databases.</summary>
    private static readonly ArrayPool<byte> Buffers = ArrayPool<byte>.Create(BufferSize, BufferCount);
    private const int TailSize = 256;

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _tail = new byte[TailSize];
    private int _tailLength;
    private string? _sha256;
    private long _written;

    public long Bytes { get; private set; }

    /// <summary>
    /// Copies source to destination. Reading (and hashing) and writing run concurrently on two threads of their
    /// own through a fixed ring of buffers, so the producer keeps producing while the consumer is busy: copying
    /// in one loop would leave each side idle while the other's pipe fills. The threads block in plain read and
    /// write calls: on two busy cores, asynchronous pipe I/O costs more in wake-ups and thread-pool hand-offs than
    /// the copy itself. <paramref name="stopSource"/> is called when the destination stops taking data, so that a
    /// reader blocked on the source ends (the caller stops the producer); cancelling stops the queue.
    /// </summary>
    public async Task CopyAsync(Stream source, Stream destination, Action stopSource, CancellationToken cancellationToken)
    {
        _ = PipeCapacity.TryEnlarge(source);
        _ = PipeCapacity.TryEnlarge(destination);
        if (Environment.ProcessorCount == 1)
        {
            await CopyInOneLoopAsync(source, destination, stopSource, cancellationToken);
            return;
        }
        // A fixed ring of buffers, all taken (and written) up front: the copy's memory is the same from its first
        // byte to its last, whatever the size of the dump or how far the consumer falls behind.
        var owned = new byte[BufferCount][];
        using var free = new BlockingCollection<byte[]>(BufferCount);
        for (var i = 0; i < BufferCount; i++)
        {
            owned[i] = Buffers.Rent(BufferSize);
            owned[i].AsSpan().Clear();
            free.Add(owned[i]);
        }
        using var queue = new BlockingCollection<(byte[] Buffer, int Length)>(BufferCount);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        var writer = Task.Factory.StartNew(() =>
        {
            try
            {
                foreach (var (buffer, length) in queue.GetConsumingEnumerable(failed.Token))
                {
                    destination.Write(buffer, 0, length);
                    free.Add(buffer);
                    reporter.Advance(database, Interlocked.Add(ref _written, length), length);
                }
                destination.Flush();
            }
            catch
            {
                // The consumer stopped reading: stop the reader too.
                failed.Cancel();
                stopSource();
                throw;
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        var reader = Task.Factory.StartNew(() =>
        {
            try
            {
                while (true)
                {
                    var buffer = free.Take(failed.Token);
                    var read = source.Read(buffer, 0, BufferSize);
                    if (read == 0)
                    {
                        break;
                    }
                    _hash.AppendData(buffer, 0, read);
                    RememberTail(buffer, read);
                    Bytes += read;
                    queue.Add((buffer, read), failed.Token);
                }
                queue.CompleteAdding();
            }
            catch
            {
                failed.Cancel();
                throw;
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        Exception? readError = null;
        try
        {
            await reader;
        }
        catch (Exception e)
        {
            readError = e;
        }
        try
        {
            await writer;
        }
        catch (Exception) when (readError is not null and not OperationCanceledException)
        {
            // The reader's error is the cause; the writer only stopped because of it.
        }
        finally
        {
            // Both threads have ended: every buffer goes back, wherever the copy left it.
            foreach (var buffer in owned)
            {
                Buffers.Return(buffer);
            }
        }
        if (readError is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(readError);
        }
    }

    /// <summary>
    /// With one core (a pod's CPU limit of 1 or less), the two threads cannot run at once: handing each buffer from
    /// one to the other only adds wake-ups and the blocking queue's spinning. One thread of its own reads, hashes
    /// and writes in turn; the 1 MiB pipes on both sides keep the dump tool and restic busy meanwhile.
    /// </summary>
    private async Task CopyInOneLoopAsync(Stream source, Stream destination, Action stopSource, CancellationToken cancellationToken)
    {
        var buffer = Buffers.Rent(BufferSize);
        try
        {
            await Task.Factory.StartNew(() =>
            {
                int read;
                while (!cancellationToken.IsCancellationRequested && (read = source.Read(buffer, 0, BufferSize)) > 0)
                {
                    _hash.AppendData(buffer, 0, read);
                    RememberTail(buffer, read);
                    Bytes += read;
                    try
                    {
                        destination.Write(buffer, 0, read);
                    }
                    catch
                    {
                        // The consumer stopped reading: stop the source too.
                        stopSource();
                        throw;
                    }
                    reporter.Advance(database, _written += read, read);
                }
                cancellationToken.ThrowIfCancellationRequested();
                destination.Flush();
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        finally
        {
            Buffers.Return(buffer);
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
