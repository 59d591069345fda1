using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Resources;
using Serverless.Backup.Functions.Jobs;

namespace Serverless.Backup.Functions.Tests.Jobs;

public sealed class JobFactoryTests
{
    private static readonly JobSettings Settings = new()
    {
        Image = "registry.example/backup-runner:1.0",
        WebhookBaseUrl = new Uri("https://app.example.net"),
        PushgatewayUrl = new Uri("http://pushgateway:9091"),
    };

    private static JobPlan Backup() =>
        JobFactory.ForBackup(Samples.Session(), Samples.Configuration(), Samples.Repository(), Samples.Binding(), "the-token", Settings);

    [Fact]
    public void The_backup_job_runs_the_runner_once_with_a_deadline_and_is_owned_by_its_session()
    {
        var job = Backup().Job;
        Assert.Equal("shop-202611240100-run", job.Metadata.Name);
        Assert.Equal("prod", job.Metadata.NamespaceProperty);
        Assert.Equal(0, job.Spec.BackoffLimit);
        Assert.Equal(1800, job.Spec.ActiveDeadlineSeconds);
        Assert.Equal(86400, job.Spec.TtlSecondsAfterFinished);
        Assert.Equal("Never", job.Spec.Template.Spec.RestartPolicy);
        var container = Assert.Single(job.Spec.Template.Spec.Containers);
        Assert.Equal("registry.example/backup-runner:1.0", container.Image);
        Assert.Equal(["backup"], container.Args);
        var owner = Assert.Single(job.Metadata.OwnerReferences);
        Assert.Equal(("BackupSession", "shop-202611240100", "session-uid", true), (owner.Kind, owner.Name, owner.Uid, owner.Controller ?? false));
        Assert.Equal("shop", job.Metadata.Labels[ResourceGroup.ConfigurationLabel]);
        Assert.Equal("shop-202611240100", job.Metadata.Labels[ResourceGroup.SessionLabel]);
    }

    [Fact]
    public void The_job_runs_as_non_root_on_a_read_only_root_with_a_writable_temp_folder_and_no_api_token()
    {
        var pod = Backup().Job.Spec.Template.Spec;
        var container = pod.Containers[0];
        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.False(pod.AutomountServiceAccountToken);
        Assert.Equal("backup-runner", pod.ServiceAccountName);
        Assert.True(container.SecurityContext.ReadOnlyRootFilesystem);
        Assert.False(container.SecurityContext.AllowPrivilegeEscalation);
        Assert.Contains("ALL", container.SecurityContext.Capabilities.Drop);
        var mount = Assert.Single(container.VolumeMounts);
        Assert.Equal("/tmp", mount.MountPath);
        Assert.NotNull(pod.Volumes.Single(v => v.Name == mount.Name).EmptyDir);
    }

    [Fact]
    public void Every_credential_reaches_the_job_through_a_secret_key_ref_and_never_as_a_literal()
    {
        var plan = Backup();
        var env = plan.Job.Spec.Template.Spec.Containers[0].Env.ToDictionary(e => e.Name);
        foreach (var variable in EnvContract.Variables<RunnerSettings>().Where(v => v.Secret))
        {
            if (env.TryGetValue(variable.Name, out var e))
            {
                Assert.Null(e.Value);
                Assert.NotNull(e.ValueFrom.SecretKeyRef);
            }
        }
        Assert.Equal(("shop-db-auth", "password"), (env["MYSQL_PASSWORD"].ValueFrom.SecretKeyRef.Name, env["MYSQL_PASSWORD"].ValueFrom.SecretKeyRef.Key));
        Assert.Equal(("shop-db-auth", "username"), (env["MYSQL_USER"].ValueFrom.SecretKeyRef.Name, env["MYSQL_USER"].ValueFrom.SecretKeyRef.Key));
        Assert.Equal(("azure-secret", "RESTIC_PASSWORD"), (env["RESTIC_PASSWORD"].ValueFrom.SecretKeyRef.Name, env["RESTIC_PASSWORD"].ValueFrom.SecretKeyRef.Key));
        Assert.Equal(("shop-202611240100-run", "token"), (env["WEBHOOK_TOKEN"].ValueFrom.SecretKeyRef.Name, env["WEBHOOK_TOKEN"].ValueFrom.SecretKeyRef.Key));
        Assert.DoesNotContain(plan.Job.Spec.Template.Spec.Containers[0].Env, e => e.Value == "the-token");
        Assert.Equal("the-token", plan.Secret.StringData["token"]);
        Assert.Equal("session-uid", plan.Secret.Metadata.OwnerReferences[0].Uid);
    }

    [Fact]
    public void The_job_environment_reads_back_as_the_runner_settings_of_the_session()
    {
        var env = Backup().Job.Spec.Template.Spec.Containers[0].Env.Where(e => e.Value is not null).ToDictionary(e => e.Name, e => e.Value);
        var settings = EnvContract.FromEnvironment<RunnerSettings>(env);
        Assert.Equal("shop-202611240100", settings.Session.Name);
        Assert.Equal("prod", settings.Session.Namespace);
        Assert.Equal("shop", settings.Session.Configuration);
        Assert.Equal("mariadb.prod.svc", settings.Database.Host);
        Assert.Equal(3307, settings.Database.Port);
        Assert.Equal(["shop"], settings.Database.Databases);
        Assert.Equal(RepositoryBackend.Azure, settings.Repository.Backend);
        Assert.Equal("backups", settings.Repository.AzureContainer);
        Assert.Equal("mysql/prod", settings.Repository.Prefix);
        Assert.Equal("https://app.example.net/api/sessions/prod/backup/shop-202611240100/events", settings.Reporting.WebhookUrl);
        Assert.Equal("http://pushgateway:9091/", settings.Reporting.PushgatewayUrl);
    }

    [Theory]
    [InlineData("mysql://db.example:3310", "db.example", 3310)]
    [InlineData("tcp(db.example:3311)/", "db.example", 3311)]
    [InlineData("db.example", "db.example", 3306)]
    public void The_database_address_comes_from_the_app_binding_url(string url, string host, int port)
    {
        var database = JobFactory.Database(Samples.Binding(new Core.Resources.ClientConfig { Url = url }), "test");
        Assert.Equal((host, port), (database.Host, database.Port));
    }

    [Fact]
    public void A_restore_job_carries_the_snapshot_choice_and_the_new_names()
    {
        var session = new RestoreSession
        {
            Metadata = new k8s.Models.V1ObjectMeta { Name = "restore-1", NamespaceProperty = "prod", Uid = "r-uid" },
            Spec = new RestoreSessionSpec
            {
                Repository = new ObjectRef { Name = "azure-repo" },
                Target = new RestoreTarget
                {
                    Ref = new TargetRef { Name = "shop-db" },
                    Rules = [new RestoreRule { FromSession = "shop-202611240100", Databases = ["shop"], Rename = new Dictionary<string, string> { ["shop"] = "shop_copy" } }],
                },
            },
        };
        var job = JobFactory.ForRestore(session, Samples.Repository(), Samples.Binding(), "t", Settings).Job;
        Assert.Equal(["restore"], job.Spec.Template.Spec.Containers[0].Args);
        var env = job.Spec.Template.Spec.Containers[0].Env.Where(e => e.Value is not null).ToDictionary(e => e.Name, e => e.Value);
        var settings = EnvContract.FromEnvironment<RunnerSettings>(env);
        Assert.Equal("shop-202611240100", settings.Restore.FromSession);
        Assert.Equal("shop_copy", settings.Restore.Rename["shop"]);
        Assert.Equal("RestoreSession", job.Metadata.OwnerReferences[0].Kind);
    }

    [Fact]
    public void A_bad_timeout_names_the_field_and_the_fix()
    {
        var configuration = Samples.Configuration();
        configuration.Spec = configuration.Spec with { TimeOut = "half an hour" };
        var e = Assert.Throws<JobInputException>(() => JobFactory.ForBackup(Samples.Session(), configuration, Samples.Repository(), Samples.Binding(), "t", Settings));
        Assert.Contains("spec.timeOut='half an hour'", e.Message);
        Assert.Contains("30m", e.Message);
    }

    [Fact]
    public void An_app_binding_without_address_or_secret_names_the_field()
    {
        var noAddress = Samples.Binding(new Core.Resources.ClientConfig());
        Assert.Contains("clientConfig", Assert.Throws<JobInputException>(() => JobFactory.Database(noAddress, "test")).Message);
        var noSecret = Samples.Binding();
        noSecret.Spec = noSecret.Spec with { Secret = null };
        Assert.Contains("spec.secret.name", Assert.Throws<JobInputException>(() => JobFactory.Database(noSecret, "test")).Message);
    }

    [Fact]
    public void A_repository_without_storage_or_secret_names_the_field()
    {
        var repository = Samples.Repository();
        repository.Spec = repository.Spec with { Backend = new RepositoryBackendSpec { StorageSecretName = "s" } };
        Assert.Contains("spec.backend has no storage", Assert.Throws<JobInputException>(() => JobFactory.RepositoryFor(repository)).Message);
        var noSecret = Samples.Repository();
        noSecret.Spec = noSecret.Spec with { Backend = noSecret.Spec.Backend with { StorageSecretName = null } };
        var e = Assert.Throws<JobInputException>(() => JobFactory.ForBackup(Samples.Session(), Samples.Configuration(), noSecret, Samples.Binding(), "t", Settings));
        Assert.Contains("storageSecretName", e.Message);
    }
}
