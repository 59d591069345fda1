using System.Diagnostics;
using System.Globalization;

namespace Serverless.Backup.Functions.Cluster;

/// <summary>
/// An app instance on this machine, as "pid start-ticks": the start time tells a live instance from a later
/// process that was given the same id.
/// </summary>
public static class InstanceIdentity
{
    public static string Current { get; } = Of(Process.GetCurrentProcess());

    public static bool IsAlive(string identity)
    {
        var parts = identity.Split(' ');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return false;
        }
        try
        {
            using var process = Process.GetProcessById(pid);
            return Of(process) == identity;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static string Of(Process process) =>
        $"{process.Id.ToString(CultureInfo.InvariantCulture)} {process.StartTime.ToUniversalTime().Ticks.ToString(CultureInfo.InvariantCulture)}";
}
