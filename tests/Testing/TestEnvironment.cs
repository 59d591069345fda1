using System.Net;
using System.Net.Sockets;

namespace Serverless.Backup.Testing;

/// <summary>Where things are on this machine for the tests: the repository root, free loopback ports, temporary folders.</summary>
public static class TestEnvironment
{
    /// <summary>The repository root (the folder holding Serverless.sln).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>A loopback TCP port nobody listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A new empty folder under the system's temporary folder.</summary>
    public static string TempFolder(string purpose)
    {
        var path = Path.Combine(Path.GetTempPath(), $"sbk-{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>The path of an npm-installed tool (scripts/install.sh installs them).</summary>
    public static string NodeTool(string name)
    {
        var path = Path.Combine(RepoRoot, "node_modules", ".bin", name);
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"{path} is missing: run scripts/install.sh to install the npm test servers");
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Serverless.sln not found above " + AppContext.BaseDirectory);
    }
}
