using System.Collections.Concurrent;
using CliWrap;
using CliWrap.Builders;

namespace Serverless.Backup.Runner.Processes;

/// <summary>
/// Starts the runner's child processes (the MySQL tools, restic) so that they die with the runner. In a container
/// whose PID 1 is the runner, its children die with it; as a plain process (folder mode, or a container whose PID 1
/// is a shell or an init) a SIGKILL of the runner alone, as the OOM killer sends, would orphan restic, which then
/// reads end-of-input and saves the truncated dump as a snapshot. So each child runs under
/// <c>setpriv --pdeathsig KILL</c> (util-linux), which asks the kernel to SIGKILL it when its parent dies.
/// <para>
/// Linux sends that signal when the <em>thread</em> that forked the child ends, not the process, and .NET forks on
/// the thread that starts the process: a thread-pool thread that retires while its child still runs would kill a
/// healthy restic. Every child is therefore forked from one dedicated thread that lives as long as the runner.
/// This is process-wide by nature (the kernel ties the signal to the forking thread), hence one static launcher.
/// </para>
/// </summary>
public static class ChildProcesses
{
    private static readonly Lazy<Launcher> Shared = new(() => new Launcher());
    private static readonly string? Setpriv = OperatingSystem.IsLinux() ? FindOnPath("setpriv") : null;

    /// <summary>Whether children are tied to the runner's life (setpriv was found); false on other systems.</summary>
    public static bool DieWithRunner => Setpriv is not null;

    /// <summary>
    /// Runs the command as CliWrap would, but started from the launcher thread and under setpriv. Cancelling
    /// <paramref name="graceful"/> interrupts the child (SIGINT), <paramref name="forceful"/> kills it.
    /// </summary>
    public static async Task<CommandResult> ExecuteAsync(Command command, CancellationToken forceful = default, CancellationToken graceful = default)
    {
        var tied = TieToRunner(command);
        // CliWrap starts the process synchronously inside ExecuteAsync and returns a task for the rest.
        var running = await Shared.Value.RunAsync(() => tied.ExecuteAsync(forceful, graceful));
        return await running;
    }

    /// <summary>The command under `setpriv --pdeathsig KILL --`, which sets the signal and then execs it (same PID).</summary>
    private static Command TieToRunner(Command command)
    {
        if (Setpriv is null)
        {
            return command;
        }
        var target = Path.IsPathRooted(command.TargetFilePath) ? command.TargetFilePath : FindOnPath(command.TargetFilePath);
        if (target is null)
        {
            // Leave it to Process.Start to report a program that is not installed, as it always did.
            return command;
        }
        var prefix = new ArgumentsBuilder().Add(["--pdeathsig", "KILL", "--", target]).Build();
        return command.WithTargetFile(Setpriv).WithArguments(command.Arguments.Length == 0 ? prefix : prefix + " " + command.Arguments);
    }

    private static string? FindOnPath(string name)
    {
        foreach (var folder in (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>One thread that starts processes, for as long as the runner lives.</summary>
    private sealed class Launcher
    {
        private readonly BlockingCollection<Action> _starts = [];
        private readonly Thread _thread;

        public Launcher()
        {
            _thread = new Thread(() =>
            {
                foreach (var start in _starts.GetConsumingEnumerable())
                {
                    start();
                }
            })
            {
                IsBackground = true,
                Name = "child-process-launcher",
            };
            _thread.Start();
        }

        public Task<T> RunAsync<T>(Func<T> start)
        {
            var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            void Start()
            {
                try
                {
                    result.SetResult(start());
                }
                catch (Exception e)
                {
                    result.SetException(e);
                }
            }
            // A start can start another (a guarded pipe starts its producer while its consumer starts): run it here.
            if (Thread.CurrentThread == _thread)
            {
                Start();
            }
            else
            {
                _starts.Add(Start);
            }
            return result.Task;
        }
    }
}
