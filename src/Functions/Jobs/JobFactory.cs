using System.Globalization;
using k8s.Models;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Resources;
using Serverless.Backup.Core.Schedules;
using Serverless.Backup.Functions.Api;

namespace Serverless.Backup.Functions.Jobs;

/// <summary>
/// Builds the runner Job of a session: a pure function of the session, its configuration, repository and AppBinding
/// and the app settings. Credentials reach the Job only through secretKeyRefs (the AppBinding's secret, the
/// repository's storage secret, and the session's own Secret holding its webhook token), never as literal values.
/// </summary>
public static class JobFactory
{
    public const string WebhookTokenKey = "token";
    private const string TmpVolume = "tmp";

    /// <summary>Storage-secret keys (Stash's names) that are not credentials but live in the storage secret.</summary>
    private static readonly string[] StorageSecretPlainKeys = ["AZURE_ACCOUNT_NAME", "AWS_ACCESS_KEY_ID"];

    public static JobPlan ForBackup(BackupSession session, BackupConfiguration configuration, Repository repository, AppBinding target, string webhookToken, JobSettings settings)
    {
        var databases = configuration.Spec.Target.Databases ?? [];
        var runner = new RunnerSettings
        {
            Session = Session(session, configuration.Metadata.Name, repository.Metadata.Name),
            Database = Database(target, "BackupConfiguration.spec.target.ref") with
            {
                Databases = databases,
                DumpArgs = configuration.Spec.Target.Args ?? [],
            },
            Repository = RepositoryFor(repository),
            Reporting = Reporting(session, "backup", settings),
        };
        var timeout = Timeout(configuration.Spec.TimeOut, "BackupConfiguration.spec.timeOut", settings);
        return Build(session, "backup", runner, repository, target, webhookToken, timeout, settings, configuration.Metadata.Name);
    }

    public static JobPlan ForRestore(RestoreSession session, Repository repository, AppBinding target, string webhookToken, JobSettings settings)
    {
        var rule = session.Spec.Target.Rules.FirstOrDefault() ?? new RestoreRule { Snapshots = ["latest"] };
        var runner = new RunnerSettings
        {
            Session = Session(session, null, repository.Metadata.Name),
            Database = Database(target, "RestoreSession.spec.target.ref"),
            Repository = RepositoryFor(repository),
            Restore = new RestoreSettings
            {
                FromSession = rule.FromSession,
                Snapshots = rule.FromSession is null ? rule.Snapshots ?? ["latest"] : [],
                Databases = rule.Databases ?? [],
                Rename = rule.Rename ?? new Dictionary<string, string>(),
            },
            Reporting = Reporting(session, "restore", settings),
        };
        var errors = runner.Validate(RunnerVerb.Restore).Where(e => e.StartsWith("RESTORE_", StringComparison.Ordinal)).ToList();
        if (errors.Count > 0)
        {
            throw new JobInputException("RestoreSession.spec.target.rules: " + string.Join("; ", errors));
        }
        var timeout = Timeout(session.Spec.TimeOut, "RestoreSession.spec.timeOut", settings);
        return Build(session, "restore", runner, repository, target, webhookToken, timeout, settings, null);
    }

    private static SessionSettings Session<TSpec>(Resource<TSpec, SessionStatus> session, string? configuration, string? repository) where TSpec : new() => new()
    {
        Namespace = session.Metadata.NamespaceProperty ?? "default",
        Name = session.Metadata.Name,
        Configuration = configuration,
        RepositoryName = repository,
    };

    private static ReportingSettings Reporting<TSpec>(Resource<TSpec, SessionStatus> session, string kind, JobSettings settings) where TSpec : new() => new()
    {
        WebhookUrl = settings.WebhookBaseUrl is { } baseUrl
            ? new Uri(baseUrl, Routes.EventsPath(session.Metadata.NamespaceProperty ?? "default", kind, session.Metadata.Name)).ToString()
            : null,
        PushgatewayUrl = settings.PushgatewayUrl?.ToString(),
    };

    private static TimeSpan Timeout(string? text, string field, JobSettings settings)
    {
        if (text is null)
        {
            return settings.DefaultTimeout;
        }
        return GoDuration.TryParse(text, out var timeout)
            ? timeout
            : throw new JobInputException($"{field}='{text}' is not a duration: use a value such as 30m, 2h or 1h30m");
    }

    /// <summary>Host and port from the AppBinding's clientConfig (url, or service name.namespace.svc).</summary>
    public static DatabaseSettings Database(AppBinding binding, string referencedBy)
    {
        var field = $"AppBinding {binding.Key} spec.clientConfig";
        var config = binding.Spec.ClientConfig;
        string host;
        var port = 3306;
        if (config.Service is { } service)
        {
            if (string.IsNullOrWhiteSpace(service.Name))
            {
                throw new JobInputException($"{field}.service.name is empty: set it to the database's Service name");
            }
            host = $"{service.Name}.{service.Namespace ?? binding.Metadata.NamespaceProperty ?? "default"}.svc";
            port = service.Port ?? 3306;
        }
        else if (config.Url is { } url)
        {
            // mysql://host:port/, tcp(host:port)/ (KubeDB's Go DSN form) or host:port.
            var text = url.Trim();
            if (text.StartsWith("tcp(", StringComparison.Ordinal) && text.IndexOf(')') is var close and > 4)
            {
                text = "mysql://" + text[4..close];
            }
            else if (!text.Contains("://", StringComparison.Ordinal))
            {
                text = "mysql://" + text;
            }
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            {
                throw new JobInputException($"{field}.url='{url}' is not valid: use mysql://HOST:PORT or tcp(HOST:PORT)/");
            }
            host = uri.Host;
            port = uri.IsDefaultPort || uri.Port < 0 ? 3306 : uri.Port;
        }
        else
        {
            throw new JobInputException($"{field} has neither url nor service: set clientConfig.url (mysql://HOST:PORT) or clientConfig.service (referenced by {referencedBy})");
        }
        if (binding.Spec.Secret?.Name is not { Length: > 0 })
        {
            throw new JobInputException($"AppBinding {binding.Key} spec.secret.name is empty: set it to the secret with the keys username and password");
        }
        return new DatabaseSettings { Host = host, Port = port, User = "from-secret" };
    }

    /// <summary>The repository's location (credentials come from its storage secret).</summary>
    public static RepositorySettings RepositoryFor(Repository repository)
    {
        var backend = repository.Spec.Backend;
        var field = $"Repository {repository.Key} spec.backend";
        if (backend.Azure is { } azure)
        {
            if (!Core.Names.IsAzureContainer(azure.Container))
            {
                throw new JobInputException($"{field}.azure.container='{azure.Container}' is not valid: use 3-63 lower-case letters, digits and '-'");
            }
            return new RepositorySettings { Backend = RepositoryBackend.Azure, AzureContainer = azure.Container, Prefix = azure.Prefix, AzureEndpoint = azure.Endpoint };
        }
        if (backend.S3 is { } s3)
        {
            if (string.IsNullOrWhiteSpace(s3.Bucket))
            {
                throw new JobInputException($"{field}.s3.bucket is empty: set it to the bucket name");
            }
            return new RepositorySettings
            {
                Backend = RepositoryBackend.S3,
                S3Bucket = s3.Bucket,
                S3Endpoint = s3.Endpoint,
                Prefix = s3.Prefix,
                S3Region = s3.Region ?? "us-east-1",
                S3ForcePathStyle = s3.ForcePathStyle,
            };
        }
        if (backend.Local is { } local)
        {
            if (string.IsNullOrWhiteSpace(local.MountPath))
            {
                throw new JobInputException($"{field}.local.mountPath is empty: set it to the repository folder");
            }
            var path = local.SubPath is { Length: > 0 } sub ? Path.Combine(local.MountPath, sub) : local.MountPath;
            return new RepositorySettings { Backend = RepositoryBackend.Local, Path = path };
        }
        throw new JobInputException($"{field} has no storage: set one of azure, s3 or local");
    }

    private static JobPlan Build<TSpec>(Resource<TSpec, SessionStatus> session, string verb, RunnerSettings runner, Repository repository, AppBinding target,
        string webhookToken, TimeSpan timeout, JobSettings settings, string? configuration) where TSpec : new()
    {
        var ns = session.Metadata.NamespaceProperty ?? "default";
        var name = SessionNames.JobFor(session.Metadata.Name);
        if (repository.Spec.Backend.StorageSecretName is not { Length: > 0 } storageSecret)
        {
            throw new JobInputException($"Repository {repository.Key} spec.backend.storageSecretName is empty: set it to the secret with RESTIC_PASSWORD and the storage credentials");
        }
        var labels = new Dictionary<string, string>
        {
            [ResourceGroup.SessionLabel] = session.Metadata.Name,
            ["app.kubernetes.io/name"] = "backup-runner",
            ["app.kubernetes.io/managed-by"] = "backup-functions",
        };
        if (configuration is not null)
        {
            labels[ResourceGroup.ConfigurationLabel] = configuration;
        }
        var owner = new V1OwnerReference
        {
            ApiVersion = session.ApiVersion,
            Kind = session.Kind,
            Name = session.Metadata.Name,
            Uid = session.Metadata.Uid,
            Controller = true,
            BlockOwnerDeletion = true,
        };

        var secretRefs = new Dictionary<string, V1EnvVarSource>(StringComparer.Ordinal)
        {
            ["MYSQL_USER"] = Ref(target.Spec.Secret!.Name, "username", optional: false),
            ["MYSQL_PASSWORD"] = Ref(target.Spec.Secret!.Name, "password", optional: false),
            ["WEBHOOK_TOKEN"] = Ref(name, WebhookTokenKey, optional: false),
        };
        var variables = EnvContract.Variables<RunnerSettings>();
        foreach (var variable in variables.Where(v => v.Path[0].Name == nameof(RunnerSettings.Repository) && (v.Secret || StorageSecretPlainKeys.Contains(v.Name))))
        {
            secretRefs[variable.Name] = Ref(storageSecret, variable.Name, optional: variable.Name != "RESTIC_PASSWORD");
        }
        if (runner.Reporting.WebhookUrl is null)
        {
            secretRefs.Remove("WEBHOOK_TOKEN");
        }

        var env = new List<V1EnvVar>
        {
            new V1EnvVar { Name = "HOME", Value = "/tmp" },
            new V1EnvVar { Name = "TMPDIR", Value = "/tmp" },
        };
        foreach (var (key, value) in EnvContract.ToEnvironment(runner).Where(kv => !secretRefs.ContainsKey(kv.Key)))
        {
            env.Add(new V1EnvVar { Name = key, Value = value });
        }
        foreach (var (key, source) in secretRefs)
        {
            env.Add(new V1EnvVar { Name = key, ValueFrom = source });
        }
        var secretNames = variables.Where(v => v.Secret).Select(v => v.Name).ToHashSet();
        if (env.FirstOrDefault(e => e.Value is not null && secretNames.Contains(e.Name)) is { } leaked)
        {
            throw new InvalidOperationException($"{leaked.Name} would be a literal value in the Job spec");
        }

        var job = new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = labels, OwnerReferences = [owner] },
            Spec = new V1JobSpec
            {
                BackoffLimit = 0,
                ActiveDeadlineSeconds = (long)Math.Ceiling(timeout.TotalSeconds),
                TtlSecondsAfterFinished = settings.TtlSecondsAfterFinished,
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string>(labels) },
                    Spec = new V1PodSpec
                    {
                        RestartPolicy = "Never",
                        ServiceAccountName = settings.ServiceAccountName,
                        AutomountServiceAccountToken = false,
                        SecurityContext = new V1PodSecurityContext
                        {
                            RunAsNonRoot = true,
                            RunAsUser = settings.RunAsUser,
                            RunAsGroup = settings.RunAsUser,
                            FsGroup = settings.RunAsUser,
                            SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
                        },
                        Containers =
                        [
                            new V1Container
                            {
                                Name = "runner",
                                Image = settings.Image,
                                Args = [verb],
                                Env = env,
                                TerminationMessagePolicy = "FallbackToLogsOnError",
                                SecurityContext = new V1SecurityContext
                                {
                                    ReadOnlyRootFilesystem = true,
                                    AllowPrivilegeEscalation = false,
                                    RunAsNonRoot = true,
                                    Capabilities = new V1Capabilities { Drop = ["ALL"] },
                                },
                                VolumeMounts = [new V1VolumeMount { Name = TmpVolume, MountPath = "/tmp" }],
                            },
                        ],
                        Volumes = [new V1Volume { Name = TmpVolume, EmptyDir = new V1EmptyDirVolumeSource() }],
                    },
                },
            },
        };
        var secret = new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = new Dictionary<string, string>(labels), OwnerReferences = [owner] },
            Type = "Opaque",
            StringData = new Dictionary<string, string> { [WebhookTokenKey] = webhookToken },
        };
        return new JobPlan(secret, job);
    }

    private static V1EnvVarSource Ref(string secret, string key, bool optional) =>
        new() { SecretKeyRef = new V1SecretKeySelector { Name = secret, Key = key, Optional = optional ? true : null } };

    /// <summary>The time the session must be done by, for status.sessionDeadline.</summary>
    public static string Describe(TimeSpan timeout) => timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture) + "s";
}
