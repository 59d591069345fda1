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
    private const int TailSize = 256;

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _tail = new byte[TailSize];
    private int _tailLength;
    private string? _sha256;

    public long Bytes { get; private set; }

    public async Task CopyAsync(Stream source, Stream destination, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
            {
                _hash.AppendData(buffer, 0, read);
                RememberTail(buffer, read);
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                Bytes += read;
                reporter.Advance(database, Bytes, read);
            }
            await destination.FlushAsync(cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
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
