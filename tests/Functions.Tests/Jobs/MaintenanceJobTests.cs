using Serverless.Backup.Core.Environment;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Jobs;

namespace Serverless.Backup.Functions.Tests.Jobs;

/// <summary>Jobs of maintenance sessions, and the retention and lock settings every Job carries.</summary>
public sealed class MaintenanceJobTests
{
    private static readonly RunnerJobOptions Options = new() { Image = "runner:1", WebhookBaseUrl = "https://fn.example.net" };

    private static readonly Repository Repository = new()
    {
        Metadata = new() { Name = "blob", NamespaceProperty = "prod" },
        Spec = new() { Backend = new() { StorageSecretName = "blob-secret", Azure = new() { Container = "backups", StorageAccount = "acct" } }, Check = new() { ReadDataSubset = "10%" } },
    };

    private static BackupConfiguration Configuration(RetentionPolicy? retention) => new()
    {
        Metadata = new() { Name = "shop", NamespaceProperty = "prod" },
        Spec = new() { Schedule = "0 1 * * *", Repository = new() { Name = "blob" }, Target = new() { Ref = new() { Name = "shop-db" } }, RetentionPolicy = retention },
    };

    private static MaintenanceSession Maintenance(string task, string? configuration = null, string? subset = null) => new()
    {
        Metadata = new() { Name = $"blob-{task}-1", NamespaceProperty = "prod", Uid = "uid-m" },
        Spec = new() { Repository = new() { Name = "blob" }, Task = task, Configuration = configuration, ReadDataSubset = subset, TimeOut = "20m" },
    };

    private static Dictionary<string, string> Env(k8s.Models.V1Job job) =>
        Assert.Single(job.Spec.Template.Spec.Containers).Env.Where(e => e.Value is not null).ToDictionary(e => e.Name, e => e.Value);

    [Fact]
    public void A_backup_job_carries_the_configurations_retention_policy_and_whether_it_has_the_repository_alone()
    {
        var job = JobFactory.Build(new JobRequest
        {
            Backup = new BackupSession { Metadata = new() { Name = "shop-202611240100", NamespaceProperty = "prod", Uid = "u" }, Spec = new() { Invoker = new() { Name = "shop" } } },
            Configuration = Configuration(new RetentionPolicy { KeepLast = 7, KeepDaily = 14, KeepTags = ["keep"], Prune = true }),
            Repository = Repository,
            AppBinding = new AppBinding { Metadata = new() { Name = "shop-db", NamespaceProperty = "prod" }, Spec = new() { ClientConfig = new() { Url = "tcp(mysql:3306)/" } } },
            SessionSecretName = "s-webhook",
            Exclusive = true,
        }, Options);

        var settings = EnvContract.FromEnvironment<RunnerSettings>(Env(job));

        Assert.Equal((7, 14, (int?)null), (settings.Retention.KeepLast, settings.Retention.KeepDaily, settings.Retention.KeepWeekly));
        Assert.Equal(["keep"], settings.Retention.KeepTags);
        Assert.True(settings.Retention.Prune);
        Assert.True(settings.Maintenance.Exclusive);
        Assert.Null(settings.Maintenance.ReadDataSubset);
        Assert.DoesNotContain(settings.Validate(RunnerVerb.Backup), e => e.StartsWith("RETENTION", StringComparison.Ordinal));
    }

    [Fact]
    public void A_check_job_runs_the_check_verb_with_the_repositorys_data_subset_and_no_database_settings()
    {
        var job = JobFactory.Build(new JobRequest { Maintenance = Maintenance("check"), Repository = Repository, SessionSecretName = "m-webhook", Exclusive = false }, Options);

        var container = Assert.Single(job.Spec.Template.Spec.Containers);
        Assert.Equal(["check"], container.Args);
        Assert.Equal("MaintenanceSession", Assert.Single(job.Metadata.OwnerReferences).Kind);
        Assert.Equal(20 * 60, job.Spec.ActiveDeadlineSeconds);
        Assert.DoesNotContain(container.Env, e => e.Name is "MYSQL_HOST" or "MYSQL_USER" or "MYSQL_PASSWORD");
        var settings = EnvContract.FromEnvironment<RunnerSettings>(Env(job));
        Assert.Equal("10%", settings.Maintenance.ReadDataSubset);
        Assert.False(settings.Maintenance.Exclusive);
        Assert.False(settings.Retention.IsSet);
        Assert.Equal("blob-secret", container.Env.Single(e => e.Name == "RESTIC_PASSWORD").ValueFrom.SecretKeyRef.Name);
        // What the runner checks for this verb passes, but for the secrets a Job takes from secretKeyRefs.
        Assert.DoesNotContain(settings.Validate(RunnerVerb.Check), e => !e.StartsWith("RESTIC_PASSWORD", StringComparison.Ordinal) && !e.StartsWith("WEBHOOK_TOKEN", StringComparison.Ordinal));

        var own = JobFactory.Build(new JobRequest { Maintenance = Maintenance("check", subset: "1/5"), Repository = Repository, SessionSecretName = "m-webhook" }, Options);
        Assert.Equal("1/5", EnvContract.FromEnvironment<RunnerSettings>(Env(own)).Maintenance.ReadDataSubset);
    }

    [Fact]
    public void A_forget_job_applies_the_named_configurations_policy_and_unlock_needs_nothing_else()
    {
        var forget = JobFactory.Build(new JobRequest
        {
            Maintenance = Maintenance("forget", "shop"), Configuration = Configuration(new RetentionPolicy { KeepLast = 3 }), Repository = Repository, SessionSecretName = "m", Exclusive = true,
        }, Options);
        var settings = EnvContract.FromEnvironment<RunnerSettings>(Env(forget));
        Assert.Equal(["forget"], forget.Spec.Template.Spec.Containers[0].Args);
        Assert.Equal((3, "shop", true), (settings.Retention.KeepLast, settings.Session.Configuration, settings.Maintenance.Exclusive));
        Assert.Equal("shop", forget.Metadata.Labels["backup.serverless.dev/configuration"]);

        var unlock = JobFactory.Build(new JobRequest { Maintenance = Maintenance("unlock"), Repository = Repository, SessionSecretName = "m" }, Options);
        Assert.Equal(["unlock"], unlock.Spec.Template.Spec.Containers[0].Args);
    }

    [Theory]
    [InlineData("defrag", null, 0, "spec.task 'defrag'")]
    [InlineData("forget", null, 0, "spec.configuration")]
    [InlineData("forget", "shop", 0, "spec.retentionPolicy")]
    [InlineData("check", null, -1, "readDataSubset")]
    public void Bad_maintenance_input_is_refused_naming_the_field(string task, string? configuration, int keepLast, string field)
    {
        var request = new JobRequest
        {
            Maintenance = Maintenance(task, configuration, keepLast < 0 ? "150%" : null),
            Configuration = configuration is null ? null : Configuration(new RetentionPolicy { KeepLast = keepLast }),
            Repository = Repository,
            SessionSecretName = "m",
        };

        var error = Assert.Throws<ArgumentException>(() => JobFactory.Build(request, Options));

        Assert.Contains(field, error.Message);
    }
}
