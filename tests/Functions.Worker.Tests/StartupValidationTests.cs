using Microsoft.Extensions.Configuration;
using Serverless.Backup.Control;
using Serverless.Backup.Control.Endpoints;
using Serverless.Backup.Testing;
using Serverless.Backup.WorkerHost;

namespace Serverless.Backup.Functions.Worker.Tests;

/// <summary>
/// A worker whose app settings are wrong never opens its event stream: the options validation stops it at start,
/// and what it wrote (the host logs a worker's output) names the setting to fix.
/// </summary>
public sealed class StartupValidationTests : IDisposable
{
    private readonly string _folder = TestEnvironment.TempFolder("worker-invalid");

    public static TheoryData<string, string?, string> BrokenSettings() => new()
    {
        { "BACKUP_WEBHOOK_MASTER_KEY", null, "BACKUP_WEBHOOK_MASTER_KEY is not set" },
        { "BACKUP_CLUSTER", "kubeconfig", "BACKUP_KUBECONFIG is not set" },
        { TimerSchedules.ScheduleTickSetting, "every minute please", $"{TimerSchedules.ScheduleTickSetting}='every minute please' is not a six-field NCRONTAB schedule" },
    };

    [Theory]
    [MemberData(nameof(BrokenSettings))]
    public async Task The_worker_does_not_start_and_its_output_names_the_setting(string setting, string? value, string message)
    {
        var settings = BackupWorker.FolderSettings(_folder);
        if (value is null)
        {
            settings.Remove(setting);
        }
        else
        {
            settings[setting] = value;
        }

        var error = await Assert.ThrowsAsync<WorkerHostException>(() => BackupWorker.StartAsync(settings));

        Assert.Contains("exited with code 2 before it opened the event stream", error.Message);
        // The worker's standard error, as the host logs it: one line per problem, naming the setting.
        Assert.Contains("err: error: " + message, error.Message);
    }

    [Fact]
    public async Task A_timer_whose_schedule_setting_is_unset_is_in_error_at_the_host_and_the_others_run()
    {
        var settings = BackupWorker.FolderSettings(_folder);
        settings.Remove(TimerSchedules.ScheduleTickSetting);

        await using var host = await BackupWorker.StartAsync(settings);

        Assert.Equal([FunctionNames.ScheduleTick], host.FunctionErrors.Keys);
        Assert.Contains($"'%{TimerSchedules.ScheduleTickSetting}%' does not resolve to a value", host.FunctionErrors[FunctionNames.ScheduleTick]);
        await Assert.ThrowsAsync<WorkerHostException>(() => host.InvokeTimerAsync(FunctionNames.ScheduleTick, CancellationToken.None));
        var reconcile = await host.InvokeTimerAsync(FunctionNames.Reconcile, CancellationToken.None);
        Assert.Equal(WorkerHost.Rpc.StatusResult.Types.Status.Success, reconcile.Result.Status);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}

/// <summary><see cref="ControlPlaneServices.Read"/>: every problem of the settings is one error naming the setting.</summary>
public sealed class SettingsReadTests
{
    private static readonly Dictionary<string, string?> Valid = new()
    {
        ["BACKUP_CLUSTER"] = "folder",
        ["BACKUP_RESOURCES_FOLDER"] = "/srv/backup-resources",
        ["BACKUP_WEBHOOK_MASTER_KEY"] = BackupWorker.MasterKey,
    };

    public static TheoryData<string, string?, string> Broken() => new()
    {
        { "BACKUP_WEBHOOK_MASTER_KEY", null, "BACKUP_WEBHOOK_MASTER_KEY is not set or shorter than 32 characters" },
        { "BACKUP_WEBHOOK_MASTER_KEY", "short", "BACKUP_WEBHOOK_MASTER_KEY is not set or shorter than 32 characters" },
        { "BACKUP_RESOURCES_FOLDER", null, "BACKUP_RESOURCES_FOLDER is not set" },
        { "BACKUP_CLUSTER", "moon", "BACKUP_CLUSTER" },
        { "BACKUP_WEBHOOK_BASE_URL", "not a url", "BACKUP_WEBHOOK_BASE_URL='not a url' is not a URL" },
        { TimerSchedules.ScheduleTickSetting, "*/5 * * * *", TimerSchedules.ScheduleTickSetting },
        { TimerSchedules.ReconcileSetting, "61 * * * * *", TimerSchedules.ReconcileSetting },
        { TimerSchedules.MaintenanceTickSetting, "0 0 0 30 2 *", $"{TimerSchedules.MaintenanceTickSetting}='0 0 0 30 2 *' is not a six-field NCRONTAB schedule (it never fires)" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void A_missing_or_malformed_setting_is_an_error_naming_it(string setting, string? value, string message)
    {
        var values = new Dictionary<string, string?>(Valid) { [setting] = value };

        var errors = Read(values, ControlPlaneHost.Functions);

        var error = Assert.Single(errors);
        Assert.Contains(message, error);
    }

    [Fact]
    public void Each_cluster_mode_names_the_setting_it_needs()
    {
        Assert.Contains(Read(new(Valid) { ["BACKUP_CLUSTER"] = "kubeconfig" }, ControlPlaneHost.Functions), e => e.StartsWith("BACKUP_KUBECONFIG is not set", StringComparison.Ordinal));
        Assert.Contains(Read(new(Valid) { ["BACKUP_CLUSTER"] = "aks" }, ControlPlaneHost.Functions), e => e.StartsWith("BACKUP_AKS_API_SERVER is not set", StringComparison.Ordinal));
    }

    [Fact]
    public void Valid_settings_read_without_errors_and_the_api_key_is_required_only_by_the_standalone_server()
    {
        Assert.Empty(Read(Valid, ControlPlaneHost.Functions));
        Assert.Empty(Read(new(Valid) { [TimerSchedules.ScheduleTickSetting] = TimerSchedules.ScheduleTickDefault }, ControlPlaneHost.Functions));
        Assert.Contains(Read(Valid, ControlPlaneHost.Standalone), e => e.StartsWith("BACKUP_API_KEY is not set", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var errors = Read(new() { ["BACKUP_CLUSTER"] = "kubeconfig", [TimerSchedules.ReconcileSetting] = "nope" }, ControlPlaneHost.Functions);

        Assert.Contains(errors, e => e.Contains("BACKUP_WEBHOOK_MASTER_KEY", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("BACKUP_KUBECONFIG", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains(TimerSchedules.ReconcileSetting, StringComparison.Ordinal));
    }

    private static IReadOnlyList<string> Read(Dictionary<string, string?> values, ControlPlaneHost host)
    {
        var options = new ControlPlaneOptions();
        ControlPlaneServices.Read(options, new ConfigurationBuilder().AddInMemoryCollection(values).Build(), host);
        return options.Errors;
    }
}
