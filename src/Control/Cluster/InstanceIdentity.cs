using System.Globalization;

namespace Serverless.Backup.Control.Cluster;

/// <summary>
/// An app instance on this machine, as "pid starttime": the process's start time in clock ticks since boot, from
/// /proc/[pid]/stat (field 22), the same number whichever process reads it, so a live instance is told from a
/// later process that was given the same id. (Process.StartTime is computed from the boot time as each reader
/// sees it and differs between readers.)
/// </summary>
public static class InstanceIdentity
{
    public static string Current { get; } = Of(Environment.ProcessId) ?? $"{Environment.ProcessId} unknown";

    public static bool IsAlive(string identity)
    {
        var parts = identity.Split(' ');
        return parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && Of(pid) == identity;
    }

    private static string? Of(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            // "pid (comm) state ppid …": the command may hold spaces and parentheses, so fields count from the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 19 ? $"{pid.ToString(CultureInfo.InvariantCulture)} {fields[19]}" : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
