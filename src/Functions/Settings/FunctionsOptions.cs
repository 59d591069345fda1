using System.Globalization;
using Serverless.Backup.Core.Environment;

namespace Serverless.Backup.Functions.Settings;

/// <summary>
/// The app settings of the Functions app, bound once at start-up. <see cref="Bind"/> reports every malformed or
/// missing setting at once, each naming the setting and the fix.
/// </summary>
public sealed record FunctionsOptions
{
    public const string AksScope = "6dae42f8-4368-4678-94ff-3960e28e3630/.default";

    public ClusterMode Cluster { get; init; } = ClusterMode.Folder;
    public string? Kubeconfig { get; init; }
    public Uri? AksApiServer { get; init; }
    public string? AksClientId { get; init; }
    public string? ResourcesFolder { get; init; }
    public string? RunnerImage { get; init; }
    public string? RunnerCommand { get; init; }
    public Uri? WebhookBaseUrl { get; init; }
    public string? WebhookMasterKey { get; init; }
    public Uri? PushgatewayUrl { get; init; }
    public string TimeZone { get; init; } = "UTC";
    public string? ApiKey { get; init; }
    public string ListenUrl { get; init; } = "http://127.0.0.1:7071";
    /// <summary>FUNCTIONS_CUSTOMHANDLER_PORT: set by the Functions host; unset means standalone mode.</summary>
    public int? CustomHandlerPort { get; init; }

    public bool Standalone => CustomHandlerPort is null;

    public static FunctionsOptions FromProcessEnvironment() => Bind(System.Environment.GetEnvironmentVariable);

    /// <summary>Reads and validates the settings; throws <see cref="SettingsException"/> listing every problem.</summary>
    public static FunctionsOptions Bind(Func<string, string?> lookup)
    {
        var errors = new List<string>();
        string? Get(string name) => lookup(name) is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

        var cluster = ClusterMode.Folder;
        if (Get("BACKUP_CLUSTER") is { } clusterText)
        {
            if (!Enum.TryParse(clusterText, ignoreCase: true, out cluster) || int.TryParse(clusterText, out _))
            {
                errors.Add($"BACKUP_CLUSTER='{clusterText}' is not valid: set it to folder, incluster, kubeconfig or aks");
            }
        }

        Uri? Url(string name, bool httpsOnly = false)
        {
            if (Get(name) is not { } text)
            {
                return null;
            }
            if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == "https" || (!httpsOnly && uri.Scheme == "http")))
            {
                return uri;
            }
            errors.Add($"{name}='{text}' is not valid: set it to an absolute {(httpsOnly ? "https" : "http(s)")} URL");
            return null;
        }

        int? port = null;
        if (Get("FUNCTIONS_CUSTOMHANDLER_PORT") is { } portText)
        {
            if (int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and < 65536)
            {
                port = p;
            }
            else
            {
                errors.Add($"FUNCTIONS_CUSTOMHANDLER_PORT='{portText}' is not valid: the Functions host sets it to a TCP port; unset it for standalone mode");
            }
        }

        var options = new FunctionsOptions
        {
            Cluster = cluster,
            Kubeconfig = Get("BACKUP_KUBECONFIG"),
            AksApiServer = Url("BACKUP_AKS_API_SERVER", httpsOnly: true),
            AksClientId = Get("BACKUP_AKS_CLIENT_ID"),
            ResourcesFolder = Get("BACKUP_RESOURCES_FOLDER"),
            RunnerImage = Get("BACKUP_RUNNER_IMAGE"),
            RunnerCommand = Get("BACKUP_RUNNER_COMMAND"),
            WebhookBaseUrl = Url("BACKUP_WEBHOOK_BASE_URL"),
            WebhookMasterKey = Get("BACKUP_WEBHOOK_MASTER_KEY"),
            PushgatewayUrl = Url("BACKUP_PUSHGATEWAY_URL"),
            TimeZone = Get("BACKUP_TIME_ZONE") ?? "UTC",
            ApiKey = Get("BACKUP_API_KEY"),
            ListenUrl = Get("BACKUP_LISTEN_URL") ?? "http://127.0.0.1:7071",
            CustomHandlerPort = port,
        };

        try
        {
            TimeZoneInfo.FindSystemTimeZoneById(options.TimeZone);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            errors.Add($"BACKUP_TIME_ZONE='{options.TimeZone}' is not a known time zone: set it to an IANA id such as Europe/Berlin or UTC");
        }
        if (options.WebhookMasterKey is null)
        {
            errors.Add("BACKUP_WEBHOOK_MASTER_KEY is not set: set it to a random secret of at least 32 characters (in Azure, a Key Vault reference)");
        }
        else if (options.WebhookMasterKey.Length < 32)
        {
            errors.Add("BACKUP_WEBHOOK_MASTER_KEY is too short: set it to a random secret of at least 32 characters");
        }
        switch (cluster)
        {
            case ClusterMode.Folder:
                if (options.ResourcesFolder is null)
                {
                    errors.Add("BACKUP_RESOURCES_FOLDER is not set: set it to the folder of the YAML resources (BACKUP_CLUSTER=folder)");
                }
                if (options.RunnerCommand is null)
                {
                    errors.Add("BACKUP_RUNNER_COMMAND is not set: set it to the runner executable, such as backup-runner (BACKUP_CLUSTER=folder)");
                }
                break;
            case ClusterMode.Kubeconfig:
                if (options.Kubeconfig is null)
                {
                    errors.Add("BACKUP_KUBECONFIG is not set: set it to the path of a kubeconfig file (BACKUP_CLUSTER=kubeconfig)");
                }
                break;
            case ClusterMode.Aks:
                if (options.AksApiServer is null && Get("BACKUP_AKS_API_SERVER") is null)
                {
                    errors.Add("BACKUP_AKS_API_SERVER is not set: set it to the https URL of the AKS API server (BACKUP_CLUSTER=aks)");
                }
                break;
        }
        if (cluster != ClusterMode.Folder && options.RunnerImage is null)
        {
            errors.Add("BACKUP_RUNNER_IMAGE is not set: set it to the runner's container image, such as myregistry.azurecr.io/backup-runner:1.0");
        }
        if (cluster != ClusterMode.Folder && Get("BACKUP_WEBHOOK_BASE_URL") is null)
        {
            errors.Add("BACKUP_WEBHOOK_BASE_URL is not set: set it to the app's public URL, such as https://app.azurewebsites.net");
        }
        if (port is null && options.ApiKey is null)
        {
            errors.Add("BACKUP_API_KEY is not set: standalone mode (no FUNCTIONS_CUSTOMHANDLER_PORT) needs an API key for the x-functions-key header");
        }
        if (errors.Count > 0)
        {
            throw new SettingsException(errors);
        }
        return options;
    }
}
