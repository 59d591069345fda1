using k8s.Models;
using Serverless.Backup.Control.Cluster;

namespace Serverless.Backup.Functions.Tests.Cluster;

/// <summary>
/// Folder mode runs a Job's container as a child process and, as the kubelet does, gives it a termination
/// message file: the runner's own last words there are the Job's failure reason, else its last stderr lines.
/// </summary>
public sealed class LocalJobRunnerTests
{
    private static V1Job Job(string name, params (string Name, string Value)[] env) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "prod" },
        Spec = new V1JobSpec
        {
            ActiveDeadlineSeconds = 60,
            Template = new V1PodTemplateSpec
            {
                Spec = new V1PodSpec
                {
                    Containers = [new V1Container { Name = "runner", Image = "runner:test", Env = env.Select(e => new V1EnvVar { Name = e.Name, Value = e.Value }).ToList() }],
                },
            },
        },
    };

    private static async Task<JobState> RunAsync(string script, V1Job job)
    {
        var finished = new TaskCompletionSource<JobState>(TaskCreationOptions.RunContinuationsAsynchronously);
        new LocalJobRunner(["sh", "-c", script], TextWriter.Null).Start(job, (_, _) => null, state => finished.TrySetResult(state));
        return await finished.Task.WaitAsync(TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task The_runner_s_termination_message_is_the_failure_reason()
    {
        var state = await RunAsync(
            """printf 'DumpFailed: the dump of shop broke off' > "$RUNNER_TERMINATION_MESSAGE_PATH"; echo 'a stack trace line' >&2; exit 3""",
            Job("shop-1"));

        Assert.Equal(JobOutcome.Failed, state.Outcome);
        Assert.Contains("runner exited 3", state.Message);
        Assert.Contains("DumpFailed: the dump of shop broke off", state.Message);
        Assert.DoesNotContain("stack trace", state.Message);
    }

    [Fact]
    public async Task Without_a_termination_message_the_last_stderr_lines_are_the_reason()
    {
        var state = await RunAsync("""echo 'first' >&2; echo 'Segmentation fault' >&2; exit 139""", Job("shop-2"));

        Assert.Equal(JobOutcome.Failed, state.Outcome);
        Assert.Contains("runner exited 139", state.Message);
        Assert.Contains("Segmentation fault", state.Message);
    }

    [Fact]
    public async Task A_good_run_succeeds_with_the_job_s_environment_and_leaves_no_message_file()
    {
        var state = await RunAsync(
            """test "$BACKUP_SESSION" = shop-3 && test -f "$RUNNER_TERMINATION_MESSAGE_PATH" && echo "$RUNNER_TERMINATION_MESSAGE_PATH" > "$TMPDIR/termination-path-shop-3" """,
            Job("shop-3", ("BACKUP_SESSION", "shop-3"), ("TMPDIR", "/tmp")));

        Assert.Equal(JobOutcome.Succeeded, state.Outcome);
        var recorded = Path.Combine(Path.GetTempPath(), "termination-path-shop-3");
        var path = (await File.ReadAllTextAsync(recorded)).Trim();
        File.Delete(recorded);
        Assert.StartsWith(Path.GetTempPath(), path);
        // Removed once the process has been waited for (just after the outcome is reported).
        for (var i = 0; i < 50 && File.Exists(path); i++)
        {
            await Task.Delay(100);
        }
        Assert.False(File.Exists(path));
    }
}
