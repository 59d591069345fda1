using System.Globalization;
using Microsoft.Extensions.Logging;
using Serverless.Backup.Runner.Logging;

namespace Serverless.Backup.Runner.Processes;

/// <summary>
/// The run's temp folder: restic's cache, and the MySQL option file where memory files are not available. Its
/// name carries the runner's PID and start time (backup-runner-PID-START-ID). A run removes its folder when it
/// ends; a killed run cannot, so each run first removes the folders of runners of this host that have ended. In a
/// pod the temp folder is an emptyDir that goes with the pod; in folder mode the runs share the host's temp folder.
/// </summary>
public static class RunFolder
{
    private const string Prefix = "backup-runner-";

    public static string Create(ILogger log)
    {
        var root = Path.GetTempPath();
        RemoveAbandoned(root, log);
        var me = ProcessIdentity.Current;
        var folder = Path.Combine(root, string.Create(CultureInfo.InvariantCulture, $"{Prefix}{me.ProcessId}-{me.StartTicks}-{Guid.NewGuid():N}"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    public static void Delete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temp folder is harmless (no secret is ever written there when memory files work); the
            // next run on this host removes it.
        }
    }

    private static void RemoveAbandoned(string root, ILogger log)
    {
        IEnumerable<string> folders;
        try
        {
            folders = Directory.EnumerateDirectories(root, Prefix + "*").ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        foreach (var folder in folders)
        {
            var parts = Path.GetFileName(folder)[Prefix.Length..].Split('-');
            if (parts.Length == 3
                && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
                && new ProcessIdentity(System.Environment.MachineName, pid, start).HasEnded)
            {
                Delete(folder);
                if (!Directory.Exists(folder))
                {
                    log.Info($"removed the temp folder {folder} of a runner that ended without cleaning up (killed)");
                }
            }
        }
    }
}
