using System.Globalization;
using System.Text;

namespace Serverless.Backup.Testing;

/// <summary>Processes as /proc shows them: a process's descendants, their command lines, and killing them.</summary>
public static class ProcessTree
{
    /// <summary>The process and every descendant alive now, parents first.</summary>
    public static IReadOnlyList<int> Of(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var name in Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(n => int.TryParse(n, out _)))
        {
            try
            {
                var text = File.ReadAllText($"/proc/{name}/stat");
                var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
                var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
                if (!children.TryGetValue(parent, out var list))
                {
                    children[parent] = list = [];
                }
                list.Add(int.Parse(name!, CultureInfo.InvariantCulture));
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
        }
        var result = new List<int>();
        var queue = new Queue<int>([root]);
        while (queue.TryDequeue(out var pid))
        {
            result.Add(pid);
            foreach (var child in children.GetValueOrDefault(pid, []))
            {
                queue.Enqueue(child);
            }
        }
        return result;
    }

    public static string CommandLine(int pid)
    {
        try
        {
            return Encoding.UTF8.GetString(File.ReadAllBytes($"/proc/{pid}/cmdline")).Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>Whether the process still runs (a zombie waiting for its parent counts as ended).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            return text[(text.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Sends SIGKILL to every process of the list at once, then waits until none is alive.</summary>
    public static async Task KillAllAsync(IReadOnlyList<int> pids, TimeSpan timeout)
    {
        using (var kill = System.Diagnostics.Process.Start("kill", ["-9", .. pids.Select(p => p.ToString(CultureInfo.InvariantCulture))]))
        {
            await kill.WaitForExitAsync();
        }
        var deadline = DateTime.UtcNow + timeout;
        while (pids.Any(IsAlive))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"processes {string.Join(", ", pids.Where(IsAlive))} are still alive after SIGKILL");
            }
            await Task.Delay(50);
        }
    }
}
