using Serverless.Backup.Core.Environment;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Jobs;

namespace Serverless.Backup.Functions.Tests.Jobs;

public sealed class JobFactoryTests
{
    private static readonly RunnerJobOptions Options = new()
    {
        Image = "registry.example/mysql-backup-runner:1.0.0",
        WebhookBaseUrl = "https://fn.example.net",
        PushgatewayUrl = "http://pushgateway.monitoring:9091",
    };

    private static JobRequest Backup(string sessionName = "shop-202611240100", string? timeOut = "45m") => new()
    {
        Backup = new BackupSession { Metadata = new() { Name = sessionName, NamespaceProperty = "prod", Uid = "uid-1" }, Spec = new() { Invoker = new() { Name = "shop" } } },
        Configuration = new BackupConfiguration
        {
            Metadata = new() { Name = "shop", NamespaceProperty = "prod" },
            Spec = new() { Schedule = "0 1 * * *", Repository = new() { Name = "blob" }, Target = new() { Ref = new() { Name = "shop-db" }, Databases = ["shop", "crm"] }, TimeOut = timeOut },
        },
        Repository = new Repository
        {
            Metadata = new() { Name = "blob", NamespaceProperty = "prod" },
            Spec = new() { Backend = new() { StorageSecretName = "blob-secret", Azure = new() { Container = "backups", Prefix = "mysql/prod", StorageAccount = "acct" } } },
        },
        AppBinding = new AppBinding
        {
            Metadata = new() { Name = "shop-db", NamespaceProperty = "prod" },
            Spec = new() { ClientConfig = new() { Service = new() { Name = "mysql", Port = 3306 } }, Secret = new() { Name = "shop-db-auth" } },
        },
        SessionSecretName = "shop-202611240100-webhook",
    };

    [Fact]
    public void The_job_runs_the_runner_once_non_root_read_only_with_a_deadline_and_an_owner()
    {
        var job = JobFactory.Build(Backup(), Options);

        Assert.Equal("shop-202611240100", job.Metadata.Name);
        Assert.Equal("prod", job.Metadata.NamespaceProperty);
        var owner = Assert.Single(job.Metadata.OwnerReferences);
        Assert.Equal(("BackupSession", "shop-202611240100", "uid-1", true), (owner.Kind, owner.Name, owner.Uid, owner.Controller ?? false));
        Assert.Equal(0, job.Spec.BackoffLimit);
        Assert.Equal(45 * 60, job.Spec.ActiveDeadlineSeconds);
        Assert.Equal(86400, job.Spec.TtlSecondsAfterFinished);
        var pod = job.Spec.Template.Spec;
        Assert.Equal("Never", pod.RestartPolicy);
        // Time for the runner's own cleanup after SIGTERM (a verify drops its scratch databases within 60 s).
        Assert.Equal(120, pod.TerminationGracePeriodSeconds);
        Assert.False(pod.AutomountServiceAccountToken);
        Assert.True(pod.SecurityContext.RunAsNonRoot);
        var container = Assert.Single(pod.Containers);
        Assert.Equal(["backup"], container.Args);
        Assert.Equal(Options.Image, container.Image);
        Assert.True(container.SecurityContext.ReadOnlyRootFilesystem);
        Assert.False(container.SecurityContext.AllowPrivilegeEscalation);
        Assert.Contains(container.VolumeMounts, m => m.MountPath == "/tmp");
        Assert.Equal("shop", job.Metadata.Labels["backup.serverless.dev/configuration"]);
        Assert.Equal("shop-202611240100", job.Spec.Template.Metadata.Labels["backup.serverless.dev/session"]);
    }

    [Fact]
    public void Every_secret_of_the_runner_contract_comes_from_a_secret_reference_never_a_literal()
    {
        var env = Assert.Single(JobFactory.Build(Backup(), Options).Spec.Template.Spec.Containers).Env;
        var secrets = EnvContract.Variables<RunnerSettings>().Where(v => v.Secret).Select(v => v.Name).ToHashSet();

        foreach (var variable in env.Where(e => secrets.Contains(e.Name)))
        {
            Assert.Null(variable.Value);
            Assert.NotNull(variable.ValueFrom?.SecretKeyRef);
        }
        Assert.Equal(("shop-db-auth", "password"), (env.Single(e => e.Name == "MYSQL_PASSWORD").ValueFrom.SecretKeyRef.Name, env.Single(e => e.Name == "MYSQL_PASSWORD").ValueFrom.SecretKeyRef.Key));
        Assert.Equal("blob-secret", env.Single(e => e.Name == "RESTIC_PASSWORD").ValueFrom.SecretKeyRef.Name);
        Assert.False(env.Single(e => e.Name == "RESTIC_PASSWORD").ValueFrom.SecretKeyRef.Optional);
        Assert.Equal("shop-202611240100-webhook", env.Single(e => e.Name == "WEBHOOK_TOKEN").ValueFrom.SecretKeyRef.Name);
        Assert.DoesNotContain(env, e => e.Name == "AZURE_ACCOUNT_NAME" && e.ValueFrom is not null);
    }

    [Fact]
    public void The_jobs_environment_reads_back_as_the_runners_settings()
    {
        var env = Assert.Single(JobFactory.Build(Backup(), Options).Spec.Template.Spec.Containers).Env
            .Where(e => e.Value is not null).ToDictionary(e => e.Name, e => e.Value);

        var settings = EnvContract.FromEnvironment<RunnerSettings>(env);

        Assert.Equal("mysql.prod.svc", settings.Database.Host);
        Assert.Equal(["shop", "crm"], settings.Database.Databases);
        Assert.Equal(RepositoryBackend.Azure, settings.Repository.Backend);
        Assert.Equal(("backups", "mysql/prod", "acct"), (settings.Repository.AzureContainer, settings.Repository.Prefix, settings.Repository.AzureAccountName));
        Assert.Equal("https://fn.example.net/api/events", settings.Reporting.WebhookUrl);
        Assert.Equal(("prod", "shop-202611240100", "shop", "blob"), (settings.Session.Namespace, settings.Session.Name, settings.Session.Configuration, settings.Session.RepositoryName));
    }

    [Fact]
    public void Database_names_with_commas_and_leading_spaces_reach_the_runner_as_json_lists_and_overwrite_as_a_flag()
    {
        var backup = Backup();
        backup.Configuration!.Spec = backup.Configuration.Spec with { Target = backup.Configuration.Spec.Target with { Databases = ["weird db ☃", "a,b", " lead"] } };
        var restore = backup with
        {
            Backup = null,
            Configuration = null,
            Restore = new RestoreSession
            {
                Metadata = new() { Name = "restore-1", NamespaceProperty = "prod", Uid = "uid-2" },
                Spec = new()
                {
                    Repository = new() { Name = "blob" }, Target = new() { Ref = new() { Name = "shop-db" } },
                    Databases = ["a,b", "weird db ☃"], Rename = new() { ["a,b"] = "a=b copy", ["weird db ☃"] = "copie ☃" }, Overwrite = true,
                },
            },
        };
        static Dictionary<string, string> EnvOf(JobRequest request) =>
            Assert.Single(JobFactory.Build(request, Options).Spec.Template.Spec.Containers).Env.Where(e => e.Value is not null).ToDictionary(e => e.Name, e => e.Value);

        var backupEnv = EnvOf(backup);
        var restoreEnv = EnvOf(restore);

        Assert.Equal("""["weird db ☃","a,b"," lead"]""", backupEnv["MYSQL_DATABASES"]);
        Assert.Equal(["weird db ☃", "a,b", " lead"], EnvContract.FromEnvironment<RunnerSettings>(backupEnv).Database.Databases);
        var settings = EnvContract.FromEnvironment<RunnerSettings>(restoreEnv);
        Assert.Equal(["a,b", "weird db ☃"], settings.Restore.Databases);
        Assert.Equal(("a=b copy", "copie ☃"), (settings.Restore.Rename["a,b"], settings.Restore.Rename["weird db ☃"]));
        Assert.Equal("true", restoreEnv["RESTORE_OVERWRITE"]);
        Assert.Equal("false", backupEnv["RESTORE_OVERWRITE"]);
    }

    [Fact]
    public void Building_twice_gives_the_same_job_and_long_names_stay_valid_and_distinct()
    {
        var a = k8s.KubernetesJson.Serialize(JobFactory.Build(Backup(), Options));
        var b = k8s.KubernetesJson.Serialize(JobFactory.Build(Backup(), Options));
        Assert.Equal(a, b);

        var longA = JobFactory.JobName(new string('a', 70) + "-1");
        var longB = JobFactory.JobName(new string('a', 70) + "-2");
        Assert.True(longA.Length <= 63 && Core.Names.IsDnsLabel(longA));
        Assert.NotEqual(longA, longB);
    }

    [Theory]
    [InlineData("tcp(mysql.db.svc:3307)/", "mysql.db.svc", 3307)]
    [InlineData("mysql://10.0.0.5:3306", "10.0.0.5", 3306)]
    [InlineData("db.example.com", "db.example.com", 3306)]
    public void The_database_endpoint_comes_from_the_appbinding_url(string url, string host, int port)
    {
        var binding = new AppBinding { Metadata = new() { Name = "x" }, Spec = new() { ClientConfig = new() { Url = url } } };
        Assert.Equal((host, port), JobFactory.Endpoint(binding, "default"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("tcp(db:3306")]
    [InlineData("tcp()")]
    [InlineData("tcp(")]
    [InlineData("://")]
    public void An_appbinding_without_a_usable_address_is_a_clear_error(string? url)
    {
        var binding = new AppBinding { Metadata = new() { Name = "x", NamespaceProperty = "prod" }, Spec = new() { ClientConfig = new() { Url = url } } };
        var error = Assert.Throws<ArgumentException>(() => JobFactory.Endpoint(binding, "prod"));
        Assert.Contains("spec.clientConfig.url", error.Message);
    }
}
