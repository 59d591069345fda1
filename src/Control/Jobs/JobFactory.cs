using System.Security.Cryptography;
using System.Text;
using k8s.Models;
using Serverless.Backup.Core;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Schedules;

namespace Serverless.Backup.Control.Jobs;

/// <summary>
/// Builds the runner Job of a session: a pure function of the session, its configuration, repository and
/// AppBinding. The Job's environment is the runner's contract (<see cref="RunnerSettings"/>): plain values for
/// what is not secret, and every credential through a secretKeyRef (the app never reads or copies a secret).
/// </summary>
public static partial class JobFactory
{
    /// <summary>Keys read from the Repository's storage secret (Stash's key names), all optional but RESTIC_PASSWORD.</summary>
    private static readonly string[] StorageSecretKeys =
    [
        "RESTIC_PASSWORD", "AZURE_ACCOUNT_NAME", "AZURE_ACCOUNT_KEY", "AZURE_ACCOUNT_SAS", "AZURE_STORAGE_CONNECTION_STRING",
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    ];

    public const string WebhookTokenKey = "WEBHOOK_TOKEN";
    public const string SessionEventsRoute = "api/events";

    /// <summary>The Job's deterministic name: creating it twice is a 409, not a second Job.</summary>
    public static string JobName(string sessionName) => Names.Bounded(sessionName, 63);

    /// <summary>The per-session Secret that carries the webhook token.</summary>
    public static string SecretName(string sessionName) => Names.Bounded(sessionName + "-webhook", 253);

    /// <summary>The runner verb (its first argument) of a request: backup, restore, or the maintenance task.</summary>
    public static RunnerVerb VerbOf(JobRequest request)
    {
        if (request.Backup is not null)
        {
            return RunnerVerb.Backup;
        }
        if (request.Restore is not null)
        {
            return RunnerVerb.Restore;
        }
        var task = request.Maintenance?.Spec.Task ?? throw new ArgumentException("the request has no session: set Backup, Restore or Maintenance");
        return task switch
        {
            MaintenanceTask.Check => RunnerVerb.Check,
            MaintenanceTask.Forget => RunnerVerb.Forget,
            MaintenanceTask.Unlock => RunnerVerb.Unlock,
            MaintenanceTask.Verify => RunnerVerb.Verify,
            MaintenanceTask.Archive => RunnerVerb.Archive,
            _ => throw new ArgumentException($"spec.task '{task}' is not a maintenance task: use {string.Join(", ", MaintenanceTask.All)}"),
        };
    }

    public static V1Job Build(JobRequest request, RunnerJobOptions options)
    {
        var runnerVerb = VerbOf(request);
        var verb = runnerVerb.ToString().ToLowerInvariant();
        var (session, kind, timeOut) = runnerVerb switch
        {
            RunnerVerb.Backup => ((k8s.IKubernetesObject<V1ObjectMeta>)request.Backup!, request.Backup!.Kind, request.Configuration?.Spec.TimeOut),
            RunnerVerb.Restore => ((k8s.IKubernetesObject<V1ObjectMeta>)request.Restore!, request.Restore!.Kind, request.Restore.Spec.TimeOut),
            _ => ((k8s.IKubernetesObject<V1ObjectMeta>)request.Maintenance!, request.Maintenance!.Kind,
                request.Maintenance.Spec.TimeOut ?? (runnerVerb is RunnerVerb.Verify ? request.Configuration?.Spec.Verification?.TimeOut : null)),
        };
        if (runnerVerb is RunnerVerb.Backup or RunnerVerb.Restore or RunnerVerb.Verify or RunnerVerb.Archive && request.AppBinding is null)
        {
            throw new ArgumentException($"a {verb} needs the database's AppBinding (spec.target.ref.name)");
        }
        var meta = session.Metadata;
        var name = JobName(meta.Name);
        var labels = new Dictionary<string, string>
        {
            [Api.SessionLabel] = meta.Name,
            [Api.KindLabel] = kind,
            [Api.RepositoryLabel] = request.Repository.Name,
            ["app.kubernetes.io/name"] = "mysql-backup-runner",
            ["app.kubernetes.io/managed-by"] = "mysql-backup-functions",
        };
        if (request.Configuration is { } configuration)
        {
            labels[Api.ConfigurationLabel] = configuration.Name;
        }
        var deadline = GoDuration.TryParse(timeOut, out var parsed) ? parsed : options.DefaultTimeout;
        var (volumes, mounts) = Volumes(request.Repository, HoldsBinlogFiles(runnerVerb, request));

        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = meta.NamespaceProperty,
                Labels = labels,
                OwnerReferences =
                [
                    new V1OwnerReference
                    {
                        ApiVersion = Api.ApiVersion, Kind = kind, Name = meta.Name, Uid = meta.Uid,
                        Controller = true, BlockOwnerDeletion = true,
                    },
                ],
            },
            Spec = new V1JobSpec
            {
                // The runner retries what is safe to retry; a second pod would only repeat a failure or race it.
                BackoffLimit = 0,
                ActiveDeadlineSeconds = (long)deadline.TotalSeconds,
                TtlSecondsAfterFinished = options.TtlSecondsAfterFinished,
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string>(labels) { ["azure.workload.identity/use"] = "true" } },
                    Spec = new V1PodSpec
                    {
                        RestartPolicy = "Never",
                        // After SIGTERM the runner ends cleanly (locks, unconfirmed snapshots, a verify's scratch
                        // databases dropped within 60 s): Kubernetes' default 30 s would kill it half-way.
                        TerminationGracePeriodSeconds = 120,
                        ServiceAccountName = options.ServiceAccountName,
                        // The runner needs no Kubernetes API access.
                        AutomountServiceAccountToken = false,
                        SecurityContext = new V1PodSecurityContext
                        {
                            RunAsNonRoot = true, RunAsUser = options.RunAsUser, RunAsGroup = options.RunAsUser, FsGroup = options.RunAsUser,
                            SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
                        },
                        Volumes = volumes,
                        Containers =
                        [
                            new V1Container
                            {
                                Name = "runner",
                                Image = options.Image,
                                Args = [verb],
                                Env = Environment(request, options, meta, runnerVerb),
                                VolumeMounts = mounts,
                                TerminationMessagePolicy = "FallbackToLogsOnError",
                                SecurityContext = new V1SecurityContext
                                {
                                    ReadOnlyRootFilesystem = true,
                                    AllowPrivilegeEscalation = false,
                                    RunAsNonRoot = true,
                                    Capabilities = new V1Capabilities { Drop = ["ALL"] },
                                },
                                Resources = new V1ResourceRequirements
                                {
                                    Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("250m"), ["memory"] = new("192Mi") },
                                    Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("512Mi") },
                                },
                            },
                        ],
                    },
                },
            },
        };
    }

    /// <summary>
    /// The scratch volume of a Job that copies binary logs (archive) or may replay them from files (point-in-time
    /// restore): one log file at a time, at most max_binlog_size (1 GiB by default, 1 GiB at most) plus the restic
    /// cache. A Job without it needs only the restic cache.
    /// </summary>
    public const string BinlogScratchSize = "2Gi";

    private static bool HoldsBinlogFiles(RunnerVerb verb, JobRequest request) =>
        verb is RunnerVerb.Archive || (verb is RunnerVerb.Restore && request.Restore?.Spec.PointInTime is not null);

    private static (List<V1Volume>, List<V1VolumeMount>) Volumes(Repository repository, bool binlogFiles)
    {
        // The root filesystem is read-only: the runner's temp files (restic cache) go here.
        var tmp = new V1EmptyDirVolumeSource { SizeLimit = binlogFiles ? new ResourceQuantity(BinlogScratchSize) : null };
        var volumes = new List<V1Volume> { new() { Name = "tmp", EmptyDir = tmp } };
        var mounts = new List<V1VolumeMount> { new() { Name = "tmp", MountPath = "/tmp" } };
        if (repository.Spec.Backend.Local is { ClaimName: { } claim, MountPath: { } path })
        {
            volumes.Add(new V1Volume { Name = "repository", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = claim } });
            mounts.Add(new V1VolumeMount { Name = "repository", MountPath = path });
        }
        return (volumes, mounts);
    }

    private static List<V1EnvVar> Environment(JobRequest request, RunnerJobOptions options, V1ObjectMeta session, RunnerVerb verb)
    {
        var settings = RunnerSettingsFor(request, options, session);
        if (verb is RunnerVerb.Forget && request.Configuration?.Spec.RetentionPolicy is null)
        {
            throw new ArgumentException($"spec.configuration: a forget applies a BackupConfiguration's retentionPolicy, and {(request.Configuration is null ? "none is named" : $"{request.Configuration.Name} has none")}: name a configuration with a retentionPolicy");
        }
        if (verb is RunnerVerb.Verify && request.Configuration is null)
        {
            throw new ArgumentException("spec.configuration: a verify restores a BackupConfiguration's newest snapshots, and none is named: name the configuration to verify");
        }
        if (verb is RunnerVerb.Archive && request.Configuration?.Spec.PointInTime is not { Enabled: true })
        {
            throw new ArgumentException($"spec.configuration: an archive stores binary logs for a BackupConfiguration's point-in-time recovery, and {(request.Configuration is null ? "none is named" : $"{request.Configuration.Name} has no spec.pointInTime.enabled")}: name a configuration with point-in-time recovery enabled");
        }
        if (verb is RunnerVerb.Restore && request.Restore?.Spec.PointInTime is not null && request.Configuration is null)
        {
            throw new ArgumentException("spec.configuration: a point-in-time restore uses a BackupConfiguration's dumps and binary logs, and none was found: name it in spec.configuration");
        }
        // Only what this factory derived from the resources is checked here; secrets arrive through secretKeyRefs.
        if (settings.Validate(verb).Where(e => e.StartsWith("RETENTION_", StringComparison.Ordinal) || e.StartsWith("RESTIC_CHECK_", StringComparison.Ordinal) || e.StartsWith("VERIFY_", StringComparison.Ordinal)).ToList() is { Count: > 0 } errors)
        {
            // Settings the runner would refuse: fail the session now, naming the resource field behind each.
            throw new ArgumentException(string.Join("; ", errors.Select(ResourceField)));
        }
        var env = EnvContract.ToEnvironment(settings).Select(kv => new V1EnvVar { Name = kv.Key, Value = kv.Value }).ToList();
        env.Add(new V1EnvVar { Name = "TMPDIR", Value = "/tmp" });
        env.AddRange(RunnerRuntime.Environment.Select(kv => new V1EnvVar { Name = kv.Key, Value = kv.Value }));

        var appSecret = verb is RunnerVerb.Backup or RunnerVerb.Restore or RunnerVerb.Verify or RunnerVerb.Archive ? request.AppBinding?.Spec.Secret?.Name : null;
        if (appSecret is not null)
        {
            env.Add(FromSecret("MYSQL_USER", appSecret, "username", optional: false));
            env.Add(FromSecret("MYSQL_PASSWORD", appSecret, "password", optional: false));
        }
        if (verb is RunnerVerb.Verify && request.VerifyAppBinding?.Spec.Secret?.Name is { } scratchSecret)
        {
            env.Add(FromSecret("VERIFY_USER", scratchSecret, "username", optional: false));
            env.Add(FromSecret("VERIFY_PASSWORD", scratchSecret, "password", optional: false));
        }
        if (request.Repository.Spec.Backend.StorageSecretName is { } storageSecret)
        {
            foreach (var key in StorageSecretKeys.Where(k => env.All(e => e.Name != k)))
            {
                env.Add(FromSecret(key, storageSecret, key, optional: key != "RESTIC_PASSWORD"));
            }
        }
        if (options.WebhookBaseUrl is not null)
        {
            env.Add(FromSecret(WebhookTokenKey, request.SessionSecretName, WebhookTokenKey, optional: false));
        }
        return env;
    }

    private static V1EnvVar FromSecret(string name, string secret, string key, bool optional) =>
        new() { Name = name, ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Key = key, Name = secret, Optional = optional } } };

    /// <summary>Where a runner variable the factory filled comes from in the resources, for error messages.</summary>
    private static string ResourceField(string error) =>
        error.StartsWith("RETENTION_", StringComparison.Ordinal) ? "BackupConfiguration spec.retentionPolicy: " + error
        : error.StartsWith("RESTIC_CHECK_", StringComparison.Ordinal) ? "spec.readDataSubset (or the Repository's spec.check.readDataSubset): " + error
        : error.StartsWith("VERIFY_", StringComparison.Ordinal) ? "BackupConfiguration spec.verification: " + error
        : error;

    /// <summary>The non-secret part of the runner's settings for this session.</summary>
    public static RunnerSettings RunnerSettingsFor(JobRequest request, RunnerJobOptions options, V1ObjectMeta session)
    {
        var verb = VerbOf(request);
        var backend = request.Repository.Spec.Backend;
        var (host, port) = verb is RunnerVerb.Backup or RunnerVerb.Restore or RunnerVerb.Verify or RunnerVerb.Archive && request.AppBinding is { } binding
            ? Endpoint(binding, session.NamespaceProperty ?? "default")
            : (null, 3306);
        var target = verb is RunnerVerb.Backup or RunnerVerb.Verify ? request.Configuration?.Spec.Target : request.Restore?.Spec.Target;
        var restore = request.Restore?.Spec;
        // Retention: after every backup of a configuration with a policy, and what a forget session applies.
        var retention = verb is RunnerVerb.Backup or RunnerVerb.Forget ? request.Configuration?.Spec.RetentionPolicy : null;
        var subset = verb is RunnerVerb.Check ? request.Maintenance?.Spec.ReadDataSubset ?? request.Repository.Spec.Check?.ReadDataSubset : null;
        return new RunnerSettings
        {
            Session = new SessionSettings
            {
                Namespace = session.NamespaceProperty ?? "default",
                Name = session.Name,
                Configuration = request.Configuration?.Name,
                RepositoryName = request.Repository.Name,
            },
            Database = new DatabaseSettings
            {
                Host = host,
                Port = port,
                Databases = target?.Databases ?? [],
                DumpArgs = verb is RunnerVerb.Backup ? request.Configuration?.Spec.Target.Args ?? [] : [],
                RestoreArgs = request.Restore?.Spec.Target.Args ?? [],
            },
            Repository = new RepositorySettings
            {
                Backend = backend.Azure is not null ? RepositoryBackend.Azure : backend.S3 is not null ? RepositoryBackend.S3 : RepositoryBackend.Local,
                Path = backend.Local is { MountPath: { } mount } ? Path.Combine(mount, backend.Local.SubPath ?? "") : null,
                Prefix = backend.Azure?.Prefix ?? backend.S3?.Prefix,
                AzureContainer = backend.Azure?.Container,
                AzureAccountName = backend.Azure?.StorageAccount,
                AzureEndpoint = backend.Azure?.Endpoint,
                S3Bucket = backend.S3?.Bucket,
                S3Endpoint = backend.S3?.Endpoint,
                S3Region = backend.S3?.Region ?? "us-east-1",
                S3ForcePathStyle = backend.S3?.ForcePathStyle ?? false,
            },
            Restore = new RestoreSettings
            {
                FromSession = restore?.FromSession,
                Snapshots = restore?.Snapshots ?? [],
                Databases = restore?.Databases ?? [],
                Rename = restore?.Rename ?? new Dictionary<string, string>(),
                Overwrite = restore?.Overwrite ?? false,
                PointInTime = restore?.PointInTime,
            },
            // Backups record their binary-log position, and forget keeps the logs the kept dumps need, while the
            // configuration has point-in-time recovery.
            PointInTime = new PointInTimeSettings
            {
                RecordPosition = verb is RunnerVerb.Backup or RunnerVerb.Forget or RunnerVerb.Archive && request.Configuration?.Spec.PointInTime is { Enabled: true },
            },
            Retention = retention is null ? new RetentionSettings() : new RetentionSettings
            {
                KeepLast = retention.KeepLast,
                KeepHourly = retention.KeepHourly,
                KeepDaily = retention.KeepDaily,
                KeepWeekly = retention.KeepWeekly,
                KeepMonthly = retention.KeepMonthly,
                KeepYearly = retention.KeepYearly,
                KeepTags = retention.KeepTags ?? [],
                Prune = retention.Prune,
                DryRun = retention.DryRun,
            },
            Maintenance = new MaintenanceSettings { Exclusive = request.Exclusive, ReadDataSubset = subset },
            Verify = verb is RunnerVerb.Verify ? VerifySettingsFor(request, session) : new VerifySettings(),
            Reporting = new ReportingSettings
            {
                WebhookUrl = options.WebhookBaseUrl is { } baseUrl ? baseUrl.TrimEnd('/') + "/" + SessionEventsRoute : null,
                PushgatewayUrl = options.PushgatewayUrl,
            },
        };
    }
}
