using System.Collections.Concurrent;
using System.Diagnostics;
using k8s.Models;

namespace Serverless.Backup.Control.Cluster;

/// <summary>
/// Runs a Job's container as a local child process of the real runner, with the Job's environment: literal
/// values as they are, secretKeyRefs resolved from the folder's Secrets. The process's exit code is the Job's
/// outcome; its termination message file (else its last stderr lines) the reason.
/// </summary>
public sealed class LocalJobRunner(IReadOnlyList<string> command, TextWriter log)
{
    private readonly ConcurrentDictionary<string, JobState> _states = new();

    public JobState? State(string @namespace, string name) => _states.TryGetValue($"{@namespace}/{name}", out var state) ? state : null;

    public void Start(V1Job job, Func<string, string, IReadOnlyDictionary<string, string>?> secrets, Action<JobState> finished)
    {
        var ns = job.Metadata.NamespaceProperty ?? "default";
        var key = $"{ns}/{job.Metadata.Name}";
        var container = job.Spec.Template.Spec.Containers[0];
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in command.Skip(1).Concat(container.Args ?? []))
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var env in container.Env ?? [])
        {
            if (env.ValueFrom?.SecretKeyRef is { } reference)
            {
                if (secrets(ns, reference.Name)?.TryGetValue(reference.Key, out var value) == true)
                {
                    start.Environment[env.Name] = value;
                }
                else if (reference.Optional != true)
                {
                    Finish(new JobState(JobOutcome.Failed, "CreateContainerConfigError", $"secret \"{reference.Name}\" has no key \"{reference.Key}\" (needed for {env.Name})"));
                    return;
                }
            }
            else if (env.Value is not null)
            {
                start.Environment[env.Name] = env.Name == "TMPDIR" ? Path.GetTempPath() : env.Value;
            }
        }

        // As the kubelet does, give the container a termination message file: the runner writes its failure there.
        var terminationLog = Path.Combine(Path.GetTempPath(), $"termination-log-{Guid.NewGuid():N}");
        File.WriteAllText(terminationLog, "");
        start.Environment["RUNNER_TERMINATION_MESSAGE_PATH"] = terminationLog;

        _states[key] = new JobState(JobOutcome.Running);
        var deadline = TimeSpan.FromSeconds(job.Spec.ActiveDeadlineSeconds ?? 7200);
        _ = Task.Run(async () =>
        {
            var errors = new Queue<string>();
            try
            {
                using var process = Process.Start(start)!;
                process.OutputDataReceived += (_, e) => { if (e.Data is not null) { log.WriteLine(e.Data); } };
                process.ErrorDataReceived += (_, e) =>
                {
                    if (e.Data is null)
                    {
                        return;
                    }
                    lock (errors)
                    {
                        errors.Enqueue(e.Data);
                        if (errors.Count > 5)
                        {
                            errors.Dequeue();
                        }
                    }
                };
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                using var timeout = new CancellationTokenSource(deadline);
                try
                {
                    await process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    // Like Kubernetes at activeDeadlineSeconds: SIGTERM first, then kill.
                    Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit();
                    using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                    try
                    {
                        await process.WaitForExitAsync(grace.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        process.Kill(entireProcessTree: true);
                    }
                    Finish(new JobState(JobOutcome.Failed, "DeadlineExceeded", $"Job was active longer than specified deadline ({deadline.TotalSeconds:0} s)"));
                    return;
                }
                process.WaitForExit();
                string tail;
                lock (errors)
                {
                    tail = string.Join(" | ", errors);
                }
                // The runner's own words when it wrote them, else its last stderr lines (FallbackToLogsOnError).
                var message = File.ReadAllText(terminationLog).Trim();
                tail = message.Length > 0 ? message : tail;
                Finish(process.ExitCode == 0
                    ? new JobState(JobOutcome.Succeeded)
                    : new JobState(JobOutcome.Failed, "BackoffLimitExceeded", $"runner exited {process.ExitCode}: {tail}"));
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                Finish(new JobState(JobOutcome.Failed, "StartError", $"could not start {command[0]} ({e.Message}): check BACKUP_RUNNER_COMMAND"));
            }
            finally
            {
                File.Delete(terminationLog);
            }
        });

        void Finish(JobState state)
        {
            _states[key] = state;
            finished(state);
        }
    }
}
