using System.Globalization;

namespace Serverless.Backup.Runner.Processes;

/// <summary>
/// A process as the kernel knows it: host, PID and start time (clock ticks after boot, from /proc), so that a PID
/// the kernel has since given to another process is not taken for the one that ended. What a run leaves behind
/// (its temp folder, its pending snapshots) names its process, and a later run on the same host can tell whether
/// that process still runs.
/// </summary>
public sealed record ProcessIdentity(string Host, int ProcessId, long StartTicks)
{
    /// <summary>This runner.</summary>
    public static ProcessIdentity Current { get; } =
        new(System.Environment.MachineName, System.Environment.ProcessId, StartOf(System.Environment.ProcessId) ?? 0);

    /// <summary>
    /// True when the process has certainly ended: it ran on this host and no process with its PID and start time
    /// exists. A process of another host (another pod) is never known to have ended.
    /// </summary>
    public bool HasEnded =>
        OperatingSystem.IsLinux() && StartTicks > 0
        && string.Equals(Host, System.Environment.MachineName, StringComparison.Ordinal)
        && StartOf(ProcessId) != StartTicks;

    /// <summary>The start time of a running process (field 22 of /proc/PID/stat), or null when there is none (a zombie has ended).</summary>
    public static long? StartOf(int processId)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/stat");
            // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields[0] == "Z" ? null : long.Parse(fields[19], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
