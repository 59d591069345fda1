using System.IO.Pipes;
using System.Runtime.InteropServices;

namespace Serverless.Backup.Runner.Streaming;

/// <summary>
/// Linux pipes hold 64 KiB by default, so a fast producer and consumer wake each other every 64 KiB. A larger
/// pipe lets each side move more per wake-up: fewer context switches on a node whose cores are already busy with
/// the dump, the database and restic. Best effort: an unprivileged process may grow a pipe up to
/// /proc/sys/fs/pipe-max-size (1 MiB by default), and anything else leaves the pipe as it was.
/// </summary>
public static class PipeCapacity
{
    public const int Preferred = 1024 * 1024;
    private const int SetPipeSize = 1031; // F_SETPIPE_SZ

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Fcntl(int fd, int command, int argument);

    /// <summary>Grows the stream's pipe to <see cref="Preferred"/>; false when it is no pipe or stays as it was.</summary>
    public static bool TryEnlarge(Stream stream)
    {
        if (!OperatingSystem.IsLinux() || stream is not PipeStream { SafePipeHandle: { IsInvalid: false, IsClosed: false } handle })
        {
            return false;
        }
        try
        {
            return Fcntl((int)handle.DangerousGetHandle(), SetPipeSize, Preferred) >= Preferred;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc or musl: the default size works too.
            return false;
        }
    }
}
