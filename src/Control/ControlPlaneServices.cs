using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serverless.Backup.Control.Endpoints;
using Serverless.Backup.Control.Cluster;
using Serverless.Backup.Control.Observability;
using Serverless.Backup.Control.Settings;
using Serverless.Backup.Core.Environment;

namespace Serverless.Backup.Control;

/// <summary>Which program hosts the control plane: what it requires differs (the standalone server checks the API key itself).</summary>
public enum ControlPlaneHost
{
    /// <summary>The Functions worker: the host checks function keys.</summary>
    Functions,
    /// <summary>The standalone server: BACKUP_API_KEY is required.</summary>
    Standalone,
}

/// <summary>The app settings as read from configuration, with every error found in them.</summary>
public sealed class ControlPlaneOptions
{
    public AppSettings? Settings { get; set; }
    public List<string> Errors { get; } = [];
}

public static class ControlPlaneServices
{
    /// <summary>
    /// Registers the control plane: its settings (read from <paramref name="configuration"/> under the same names
    /// as the environment variables, and validated when the host starts, so a missing or malformed setting stops
    /// the app with the setting's name and its fix), the cluster it reaches, its metrics and <see cref="ControlApi"/>,
    /// which logs through the host's <see cref="ILoggerFactory"/>.
    /// </summary>
    public static IServiceCollection AddBackupControlPlane(this IServiceCollection services, IConfiguration configuration, ControlPlaneHost host)
    {
        services.TryAddSingleton(TimeProvider.System);
        // Logging as the host configured it; a bare service collection gets the framework's defaults (no provider).
        services.AddLogging();
        services.AddOptions<ControlPlaneOptions>()
            .Configure(options => Read(options, configuration, host))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ControlPlaneOptions>, SettingsValidation>();
        services.AddSingleton(provider => provider.GetRequiredService<IOptions<ControlPlaneOptions>>().Value.Settings
            ?? throw new OptionsValidationException(nameof(ControlPlaneOptions), typeof(ControlPlaneOptions), ["the app settings are not valid"]));
        services.TryAddSingleton<ControlPlaneMetrics>();
        services.AddSingleton<ClusterClient>();
        services.TryAddSingleton(provider => provider.GetRequiredService<ClusterClient>().Gateway);
        services.TryAddSingleton(provider => new ControlApi(
            provider.GetRequiredService<AppSettings>(),
            provider.GetRequiredService<IClusterGateway>(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ControlPlaneMetrics>(),
            provider.GetRequiredService<ILoggerFactory>()));
        return services;
    }

    /// <summary>Every app setting the control plane reads: <see cref="AppSettings"/>'s and the timers' schedules.</summary>
    public static IReadOnlyList<string> SettingNames { get; } =
        [.. EnvContract.Variables<AppSettings>().Select(v => v.Name), .. FunctionCatalog.All.Select(f => f.Trigger).OfType<TimerTrigger>().Select(t => t.Setting)];

    /// <summary>Reads and checks the settings; every problem is an error line naming the setting.</summary>
    public static void Read(ControlPlaneOptions options, IConfiguration configuration, ControlPlaneHost host)
    {
        try
        {
            options.Settings = EnvContract.FromEnvironment<AppSettings>(name => configuration[name]);
            options.Errors.AddRange(options.Settings.Validate(host == ControlPlaneHost.Standalone));
        }
        catch (SettingsException e)
        {
            options.Errors.AddRange(e.Errors);
        }
        foreach (var timer in FunctionCatalog.All.Select(f => f.Trigger).OfType<TimerTrigger>())
        {
            if (configuration[timer.Setting] is { Length: > 0 } expression && ScheduleError(expression) is { } error)
            {
                options.Errors.Add($"{timer.Setting}='{expression}' is not a six-field NCRONTAB schedule ({error}): set it like '{timer.Default}' (second minute hour day month day-of-week), or leave it unset");
            }
        }
    }

    /// <summary>Why a timer's schedule cannot be used; null when it can.</summary>
    public static string? ScheduleError(string expression)
    {
        try
        {
            return Cronos.CronExpression.Parse(expression, Cronos.CronFormat.IncludeSeconds).GetNextOccurrence(DateTime.UtcNow, TimeZoneInfo.Utc) is null
                ? "it never fires"
                : null;
        }
        catch (Cronos.CronFormatException e)
        {
            return e.Message;
        }
    }

    private sealed class SettingsValidation : IValidateOptions<ControlPlaneOptions>
    {
        public ValidateOptionsResult Validate(string? name, ControlPlaneOptions options) =>
            options.Errors.Count > 0 ? ValidateOptionsResult.Fail(options.Errors) : ValidateOptionsResult.Success;
    }

    /// <summary>The Kubernetes client (disposed with the host) and the gateway over it, or the folder in folder mode.</summary>
    private sealed class ClusterClient : IDisposable
    {
        private readonly k8s.Kubernetes? _kubernetes;

        public ClusterClient(AppSettings settings, ControlPlaneMetrics metrics)
        {
            _kubernetes = ClusterConnection.Create(settings);
            Gateway = _kubernetes is null
                ? new FolderGateway(settings.ResourcesFolder!, new LocalJobRunner(settings.RunnerCommand, Console.Error))
                : new KubernetesGateway(_kubernetes, metrics);
        }

        public IClusterGateway Gateway { get; }

        public void Dispose() => _kubernetes?.Dispose();
    }
}
