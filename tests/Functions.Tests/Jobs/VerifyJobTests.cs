using k8s.Models;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Jobs;

namespace Serverless.Backup.Functions.Tests.Jobs;

/// <summary>The Job of a verify session: the configuration's database, its scratch server and checks, secrets only by reference.</summary>
public sealed class VerifyJobTests
{
    private static readonly RunnerJobOptions Options = new() { Image = "runner:1", WebhookBaseUrl = "https://fn.example.net" };

    private static readonly Repository Repository = new()
    {
        Metadata = new() { Name = "blob", NamespaceProperty = "prod" },
        Spec = new() { Backend = new() { StorageSecretName = "blob-secret", Azure = new() { Container = "backups", StorageAccount = "acct" } } },
    };

    private static readonly AppBinding Source = new()
    {
        Metadata = new() { Name = "shop-db", NamespaceProperty = "prod" },
        Spec = new() { ClientConfig = new() { Url = "tcp(mysql:3306)/" }, Secret = new() { Name = "shop-db-auth" } },
    };

    private static readonly AppBinding Scratch = new()
    {
        Metadata = new() { Name = "scratch-db", NamespaceProperty = "prod" },
        Spec = new() { ClientConfig = new() { Service = new() { Name = "scratch", Port = 3307 } }, Secret = new() { Name = "scratch-auth" } },
    };

    private static BackupConfiguration Configuration(VerificationSpec? verification) => new()
    {
        Metadata = new() { Name = "shop", NamespaceProperty = "prod" },
        Spec = new()
        {
            Schedule = "0 1 * * *", Repository = new() { Name = "blob" }, TimeOut = "30m",
            Target = new() { Ref = new() { Name = "shop-db" }, Databases = ["shop", "crm"], Args = ["--skip-triggers"] },
            Verification = verification,
        },
    };

    private static JobRequest Request(VerificationSpec? verification, AppBinding? scratch, string? timeOut = null) => new()
    {
        Maintenance = new MaintenanceSession
        {
            Metadata = new() { Name = "shop-verify-202611290300", NamespaceProperty = "prod", Uid = "uid-v" },
            Spec = new() { Repository = new() { Name = "blob" }, Task = MaintenanceTask.Verify, Configuration = "shop", TimeOut = timeOut },
        },
        Configuration = Configuration(verification),
        Repository = Repository,
        AppBinding = Source,
        VerifyAppBinding = scratch,
        SessionSecretName = "shop-verify-202611290300-webhook",
    };

    private static readonly VerificationSpec WithScratch = new()
    {
        Target = new() { Name = "scratch-db" },
        DatabasePrefix = "check_",
        TimeOut = "3h",
        Checks = [new VerificationCheck { Name = "has-orders", Database = "shop", Sql = "SELECT COUNT(*) FROM orders", Min = 1 }, new VerificationCheck { Name = "one-admin", Database = "crm", Sql = "SELECT COUNT(*) FROM admins", EqualTo = 1 }],
    };

    [Fact]
    public void A_verify_job_runs_the_verify_verb_with_the_source_database_the_scratch_server_and_the_checks_and_secrets_only_by_reference()
    {
        var job = JobFactory.Build(Request(WithScratch, Scratch), Options);

        var container = Assert.Single(job.Spec.Template.Spec.Containers);
        Assert.Equal(["verify"], container.Args);
        Assert.Equal(("MaintenanceSession", "shop"), (Assert.Single(job.Metadata.OwnerReferences).Kind, job.Metadata.Labels["backup.serverless.dev/configuration"]));
        // spec.verification.timeOut, not the backup's spec.timeOut.
        Assert.Equal(3 * 3600, job.Spec.ActiveDeadlineSeconds);
        var plain = container.Env.Where(e => e.Value is not null).ToDictionary(e => e.Name, e => e.Value);
        // Exactly these session, database and verify variables (the generic runner settings aside); * is a secretKeyRef.
        Assert.Equal(
            [
                "BACKUP_CONFIGURATION=shop", "BACKUP_NAMESPACE=prod", "BACKUP_REPOSITORY_NAME=blob", "BACKUP_SESSION=shop-verify-202611290300",
                "MYSQL_DATABASES=shop,crm", "MYSQL_HOST=mysql", "MYSQL_PASSWORD*", "MYSQL_PORT=3306", "MYSQL_USER*", "MYSQL_WAIT_TIMEOUT_SECONDS=300",
                "VERIFY_CHECKS=[{\"name\":\"has-orders\",\"database\":\"shop\",\"sql\":\"SELECT COUNT(*) FROM orders\",\"min\":1},{\"name\":\"one-admin\",\"database\":\"crm\",\"sql\":\"SELECT COUNT(*) FROM admins\",\"equals\":1}]",
                "VERIFY_DATABASE_PREFIX=check_", "VERIFY_HOST=scratch.prod.svc", "VERIFY_PASSWORD*", "VERIFY_PORT=3307", "VERIFY_USER*",
            ],
            container.Env.Where(e => e.Name.Split('_')[0] is "BACKUP" or "MYSQL" or "VERIFY")
                .Select(e => e.Name + (e.Value is null ? "*" : "=" + e.Value)).Order(StringComparer.Ordinal));
        Assert.Equal("mysql", plain["MYSQL_HOST"]);
        Assert.Equal("3306", plain["MYSQL_PORT"]);
        Assert.Equal("scratch.prod.svc", plain["VERIFY_HOST"]);
        Assert.Equal("3307", plain["VERIFY_PORT"]);
        Assert.Equal("check_", plain["VERIFY_DATABASE_PREFIX"]);
        Assert.Equal("shop", plain["BACKUP_CONFIGURATION"]);
        Assert.Equal("shop-verify-202611290300", plain["BACKUP_SESSION"]);
        var settings = EnvContract.FromEnvironment<RunnerSettings>(plain);
        Assert.Equal(["shop", "crm"], settings.Database.Databases);
        Assert.Equal(WithScratch.Checks!.Select(c => c.ToRunner()), settings.Verify.ParsedChecks());
        Assert.Equal(1m, settings.Verify.ParsedChecks()[1].EqualTo);

        // Every credential through a secretKeyRef: the source's, the scratch server's, the repository's, the token.
        var references = container.Env.Where(e => e.ValueFrom is not null).ToDictionary(e => e.Name, e => (e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key));
        Assert.Equal(("shop-db-auth", "username"), references["MYSQL_USER"]);
        Assert.Equal(("shop-db-auth", "password"), references["MYSQL_PASSWORD"]);
        Assert.Equal(("scratch-auth", "username"), references["VERIFY_USER"]);
        Assert.Equal(("scratch-auth", "password"), references["VERIFY_PASSWORD"]);
        Assert.Equal(("blob-secret", "RESTIC_PASSWORD"), references["RESTIC_PASSWORD"]);
        Assert.Equal(("shop-verify-202611290300-webhook", "WEBHOOK_TOKEN"), references["WEBHOOK_TOKEN"]);
        var secrets = EnvContract.Variables<RunnerSettings>().Where(v => v.Secret).Select(v => v.Name).ToHashSet();
        Assert.DoesNotContain(container.Env, e => secrets.Contains(e.Name) && e.Value is not null);
        // What the runner checks for the verify verb passes, but for the secrets the Job takes from references.
        Assert.DoesNotContain(settings.Validate(RunnerVerb.Verify), e => !references.Keys.Any(k => e.StartsWith(k, StringComparison.Ordinal)));
    }

    [Fact]
    public void Without_a_scratch_target_the_job_verifies_on_the_source_server_under_the_default_prefix()
    {
        var job = JobFactory.Build(Request(new VerificationSpec(), null, timeOut: "20m"), Options);

        var container = Assert.Single(job.Spec.Template.Spec.Containers);
        var names = container.Env.Select(e => e.Name).ToHashSet();
        Assert.DoesNotContain("VERIFY_HOST", names);
        Assert.DoesNotContain("VERIFY_PORT", names);
        Assert.DoesNotContain("VERIFY_USER", names);
        Assert.DoesNotContain("VERIFY_PASSWORD", names);
        Assert.DoesNotContain("VERIFY_CHECKS", names);
        Assert.Equal("verify_", container.Env.Single(e => e.Name == "VERIFY_DATABASE_PREFIX").Value);
        Assert.Equal(20 * 60, job.Spec.ActiveDeadlineSeconds);

        // A configuration without spec.verification verifies with the defaults too (StartMaintenance on demand).
        var defaults = JobFactory.Build(Request(null, null), Options);
        Assert.Equal("verify_", Assert.Single(defaults.Spec.Template.Spec.Containers).Env.Single(e => e.Name == "VERIFY_DATABASE_PREFIX").Value);
    }

    [Fact]
    public void A_verify_without_its_configuration_or_database_fails_naming_what_is_missing()
    {
        var noConfiguration = Assert.Throws<ArgumentException>(() => JobFactory.Build(Request(null, null) with { Configuration = null }, Options));
        Assert.Contains("spec.configuration", noConfiguration.Message);
        var noBinding = Assert.Throws<ArgumentException>(() => JobFactory.Build(Request(null, null) with { AppBinding = null }, Options));
        Assert.Contains("AppBinding", noBinding.Message);
        var badPrefix = Assert.Throws<ArgumentException>(() => JobFactory.Build(Request(new VerificationSpec { DatabasePrefix = "#mysql50#" }, null), Options));
        Assert.Contains("spec.verification", badPrefix.Message);
        Assert.Contains("VERIFY_DATABASE_PREFIX", badPrefix.Message);
    }
}
