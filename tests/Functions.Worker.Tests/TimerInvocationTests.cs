using Serverless.Backup.Control.Endpoints;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Testing;
using Serverless.Backup.WorkerHost;
using Serverless.Backup.WorkerHost.Rpc;

namespace Serverless.Backup.Functions.Worker.Tests;

/// <summary>Timer invocations over gRPC, as the host's timer trigger sends them, against a folder-mode cluster.</summary>
[Collection(WorkerCollection.Name)]
public sealed class TimerInvocationTests(FolderWorker worker)
{
    private FunctionsHost Host => worker.Host;

    [Fact]
    public async Task ScheduleTick_creates_the_session_of_a_due_configuration_and_records_the_slot()
    {
        await worker.Resources.WriteRepositoryAsync("due-repo");
        await worker.Resources.WriteConfigurationAsync("due-every-minute", "* * * * *", repository: "due-repo");
        var before = DateTimeOffset.UtcNow;

        var response = await Host.InvokeTimerAsync(FunctionNames.ScheduleTick, CancellationToken.None);

        Assert.True(response.Result.Status == StatusResult.Types.Status.Success, BackupWorker.Describe(Host, response));
        var session = Assert.Single(worker.Resources.BackupSessions(), s => s.Metadata.Labels?[Api.ConfigurationLabel] == "due-every-minute");
        Assert.Equal(SessionPhase.Pending, session.Status?.Phase);
        Assert.Equal("due-repo", session.Metadata.Labels![Api.RepositoryLabel]);
        var configuration = worker.Resources.Read<BackupConfiguration>("backupconfigurations", "due-every-minute")!;
        Assert.Equal(ResourcePhase.Ready, configuration.Status?.Phase);
        Assert.NotNull(configuration.Status?.LastScheduleTime);
        Assert.True(configuration.Status!.LastScheduleTime > before.AddMinutes(-2), $"slot {configuration.Status.LastScheduleTime} is not the current minute");
    }

    [Theory]
    [InlineData("""{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"2024-11-30T14:44:00+00:00","Next":"2024-11-30T14:45:00+00:00","LastUpdated":"2024-11-30T14:44:00.403838+00:00"},"IsPastDue":false}""")]
    [InlineData("""{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"0001-01-01T00:00:00","Next":"2024-11-30T14:45:51","LastUpdated":"2024-11-30T14:43:50"},"IsPastDue":true}""")]
    [InlineData("""{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":true}""")]
    [InlineData("""{}""")]
    public async Task Timer_data_in_every_shape_the_host_sends_is_bound_and_the_tick_runs(string timerInfo)
    {
        var response = await Host.InvokeTimerAsync(FunctionNames.Reconcile, timerInfo, CancellationToken.None);

        Assert.True(response.Result.Status == StatusResult.Types.Status.Success, BackupWorker.Describe(Host, response));
    }

    [Fact]
    public async Task A_past_due_tick_still_runs_and_warns_in_the_invocations_log()
    {
        var response = await Host.InvokeTimerAsync(FunctionNames.Reconcile, CancellationToken.None, isPastDue: true);

        Assert.True(response.Result.Status == StatusResult.Types.Status.Success, BackupWorker.Describe(Host, response));
        var log = await WorkerLogs.WaitForAsync(Host, response.InvocationId, "past due");
        Assert.Equal(RpcLog.Types.Level.Warning, log.Level);
    }
}

/// <summary>A worker over an empty folder, started once for its class.</summary>
public sealed class EmptyFolderWorker : IAsyncLifetime
{
    private readonly string _folder = TestEnvironment.TempFolder("worker-empty");

    public FunctionsHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await BackupWorker.StartAsync(BackupWorker.FolderSettings(_folder));

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }
}

public sealed class EmptyFolderTimerTests(EmptyFolderWorker worker) : IClassFixture<EmptyFolderWorker>
{
    public static TheoryData<string> Timers() => new(FunctionCatalog.All.Where(f => f.Trigger is TimerTrigger).Select(f => f.Name));

    [Theory]
    [MemberData(nameof(Timers))]
    public async Task Every_timer_succeeds_on_an_empty_cluster(string timer)
    {
        var response = await worker.Host.InvokeTimerAsync(timer, CancellationToken.None);

        Assert.True(response.Result.Status == StatusResult.Types.Status.Success, BackupWorker.Describe(worker.Host, response));
    }
}

/// <summary>
/// A worker whose cluster cannot be reached: a kubeconfig whose server is a loopback port nobody listens on.
/// Its settings are valid, so it starts; only its ticks fail.
/// </summary>
public sealed class UnreachableClusterWorker : IAsyncLifetime
{
    private readonly string _folder = TestEnvironment.TempFolder("worker-kubeconfig");

    public int ClosedPort { get; } = TestEnvironment.FreePort();

    public FunctionsHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var kubeconfig = Path.Combine(_folder, "kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, $$"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: closed
              cluster: { server: "https://127.0.0.1:{{ClosedPort}}", insecure-skip-tls-verify: true }
            users:
            - name: tester
              user: { token: "not-a-real-token" }
            contexts:
            - name: closed
              context: { cluster: closed, user: tester, namespace: shop }
            current-context: closed
            """);
        var settings = new Dictionary<string, string>(BackupWorker.Schedules)
        {
            ["BACKUP_CLUSTER"] = "kubeconfig",
            ["BACKUP_KUBECONFIG"] = kubeconfig,
            ["BACKUP_WEBHOOK_MASTER_KEY"] = BackupWorker.MasterKey,
        };
        Host = await BackupWorker.StartAsync(settings);
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }
}

/// <summary>
/// A tick that cannot run is a failed invocation, which the host records as a failure (Application Insights, the
/// portal's invocation list), and its exception and the invocation's error log say why.
/// </summary>
public sealed class UnreachableClusterTimerTests(UnreachableClusterWorker worker) : IClassFixture<UnreachableClusterWorker>
{
    public static TheoryData<string> Timers() => EmptyFolderTimerTests.Timers();

    [Theory]
    [MemberData(nameof(Timers))]
    public async Task A_tick_that_cannot_reach_the_cluster_is_a_failed_invocation_that_names_the_failure(string timer)
    {
        var response = await worker.Host.InvokeTimerAsync(timer, CancellationToken.None);

        Assert.True(response.Result.Status == StatusResult.Types.Status.Failure, BackupWorker.Describe(worker.Host, response));
        Assert.Contains($"Connection refused (127.0.0.1:{worker.ClosedPort})", response.Result.Exception.Message);
        var log = await WorkerLogs.WaitForAsync(worker.Host, response.InvocationId, "An exception was thrown by the invocation");
        Assert.Equal(RpcLog.Types.Level.Error, log.Level);
        Assert.Contains($"Function '{timer}'", log.Message);
        Assert.Contains("Connection refused", log.Exception?.Message + log.Message);
    }
}
