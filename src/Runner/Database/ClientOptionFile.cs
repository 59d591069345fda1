using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Serverless.Backup.Runner.Database;

/// <summary>
/// The MySQL tools' option file, which holds the password (never argv, never the environment). On Linux it is an
/// anonymous memory file (memfd_create) that the tools open as /proc/RUNNER-PID/fd/N: it is on no disk, and it
/// ends with the runner's process however that ends, SIGKILL included, so the password never outlives the run.
/// A memory file starts with mode 0777 and the MariaDB and MySQL tools ignore a world-writable option file, so it is
/// made 0600 before anything is written to it. Where memory files are not available (another system, or a seccomp
/// profile that refuses the call), a 0600 file in the run's temp folder takes its place; that folder is removed at
/// the end of the run, or by the next run on the host when this one was killed (<see cref="Processes.RunFolder"/>).
/// </summary>
public sealed class ClientOptionFile : IDisposable
{
    private const uint CloseOnExec = 1; // MFD_CLOEXEC: no child inherits the descriptor; they open the /proc path.
    private const uint OwnerReadWrite = 0x180; // 0600

    private readonly SafeFileHandle? _memory;

    private ClientOptionFile(string path, SafeFileHandle? memory)
    {
        Path = path;
        _memory = memory;
    }

    /// <summary>What --defaults-file names.</summary>
    public string Path { get; }

    /// <summary>True when the options live in memory only.</summary>
    public bool InMemory => _memory is not null;

    [DllImport("libc", EntryPoint = "memfd_create", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int MemfdCreate([MarshalAs(UnmanagedType.LPUTF8Str)] string name, uint flags);

    [DllImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Fchmod(int fd, uint mode);

    public static ClientOptionFile Create(string content, string tempFolder)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        if (OperatingSystem.IsLinux() && TryMemory() is { } memory)
        {
            RandomAccess.Write(memory, bytes, 0);
            var fd = memory.DangerousGetHandle().ToInt32().ToString(CultureInfo.InvariantCulture);
            return new ClientOptionFile($"/proc/{System.Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}/fd/{fd}", memory);
        }
        var path = System.IO.Path.Combine(tempFolder, $"client-{Guid.NewGuid():N}.cnf");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var file = new FileStream(path, options))
        {
            file.Write(bytes);
        }
        return new ClientOptionFile(path, null);
    }

    private static SafeFileHandle? TryMemory()
    {
        try
        {
            var fd = MemfdCreate("mysql-client-options", CloseOnExec);
            if (fd < 0)
            {
                return null;
            }
            var handle = new SafeFileHandle(fd, ownsHandle: true);
            if (Fchmod(fd, OwnerReadWrite) != 0)
            {
                handle.Dispose();
                return null;
            }
            return handle;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        if (_memory is not null)
        {
            _memory.Dispose();
        }
        else
        {
            File.Delete(Path);
        }
    }
}
