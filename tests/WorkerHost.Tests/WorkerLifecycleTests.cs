using Serverless.Backup.WorkerHost.Rpc;

namespace Serverless.Backup.WorkerHost.Tests;

/// <summary>Starting and stopping workers: app settings reach the worker, WorkerTerminate ends it, a broken app is reported.</summary>
public sealed class WorkerLifecycleTests
{
    [Fact]
    public async Task App_settings_reach_the_worker_and_WorkerTerminate_ends_it_without_a_kill()
    {
        var host = await SampleWorkerHost.StartAsync(new Dictionary<string, string>());
        WorkerProcess worker;
        try
        {
            worker = host.Worker;
            // Without SAMPLE_TICK_FAILS the same function succeeds: what the worker saw is what the host set.
            var response = await host.InvokeTimerAsync("SampleFailingTick", CancellationToken.None);
            Assert.True(response.Result.Status == StatusResult.Types.Status.Success, $"failed: {response.Result.Exception?.Message}");
        }
        finally
        {
            await host.DisposeAsync();
        }

        Assert.True(worker.HasExited);
        Assert.False(worker.WasKilled, "the worker did not stop on WorkerTerminate within the grace period");
        Assert.Equal(0, worker.ExitCode);
    }

    [Fact]
    public async Task A_worker_that_cannot_start_is_reported_with_its_output()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"sbk-broken-worker-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            await File.WriteAllTextAsync(
                Path.Combine(folder, "worker.config.json"),
                """{"description":{"language":"dotnet-isolated","defaultExecutablePath":"dotnet","defaultWorkerPath":"Missing.dll"}}""");

            var error = await Assert.ThrowsAsync<WorkerHostException>(() => FunctionsHost.StartAsync(
                new FunctionsHostOptions { AppDirectory = folder, StartTimeout = TimeSpan.FromSeconds(30) }, CancellationToken.None));

            Assert.Contains("exited with code 1", error.Message);
            Assert.Contains("Missing.dll", error.Message);
            // dotnet's own complaint, from the worker's standard error, is part of the report.
            Assert.Contains("err: ", error.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_folder_without_worker_config_is_not_an_app()
    {
        var error = Assert.Throws<WorkerHostException>(() => WorkerApp.FromDirectory(AppContext.BaseDirectory));
        Assert.Contains("worker.config.json", error.Message);
    }
}
