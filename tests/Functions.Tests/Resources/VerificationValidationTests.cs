using k8s;
using Serverless.Backup.Control.Resources;

namespace Serverless.Backup.Functions.Tests.Resources;

/// <summary>spec.verification as a user writes it, hostile values included: every error names the field and the fix.</summary>
public sealed class VerificationValidationTests
{
    private static List<string> Errors(string verification) => ResourceValidation.ValidateVerification(Configuration(verification).Spec);

    private static BackupConfiguration Configuration(string verification) => KubernetesYaml.Deserialize<BackupConfiguration>($"""
        apiVersion: backup.serverless.dev/v1alpha1
        kind: BackupConfiguration
        metadata: {"{"} name: shop, namespace: prod {"}"}
        spec:
          schedule: "0 1 * * *"
          repository: {"{"} name: repo {"}"}
          target: {"{"} ref: {"{"} kind: AppBinding, name: shop-db {"}"} {"}"}
          verification:
        {verification}
        """);

    [Fact]
    public void A_full_verification_is_valid_and_an_empty_one_takes_the_defaults()
    {
        Assert.Empty(Errors("""
                schedule: "30 4 * * 6"
                target: { name: scratch-db }
                databasePrefix: check_
                timeOut: 2h
                checks:
                  - { name: has-orders, database: shop, sql: "SELECT COUNT(*) FROM orders", min: 1 }
                  - { name: one-admin, database: shop, sql: "SELECT COUNT(*) FROM admins", equals: 1 }
                  - { name: sane-total, database: shop, sql: "SELECT SUM(total) FROM orders", min: 0.5, max: 1000000000 }
            """));
        Assert.Empty(Errors("    paused: true"));
    }

    [Theory]
    [InlineData("    schedule: \"61 * * * *\"", "spec.verification.schedule '61 * * * *' is not a valid cron schedule")]
    [InlineData("    schedule: \"\"", "spec.verification.schedule is empty")]
    [InlineData("    schedule: \"0 0 30 2 *\"", "spec.verification.schedule '0 0 30 2 *' never fires")]
    [InlineData("    checks: [{}]", "spec.verification.checks[0]: a check has no name")]
    [InlineData("    checks: [~]", "spec.verification.checks[0] is empty")]
    [InlineData("    checks: [{ name: orders, database: shop, sql: \"SELECT 1\" }]", "spec.verification.checks[0]: check 'orders' expects nothing: set min, max or equals")]
    [InlineData("    checks: [{ name: orders, database: shop, min: 1 }]", "spec.verification.checks[0]: check 'orders' has no sql")]
    [InlineData("    checks: [{ name: orders, database: \"shop \", sql: \"SELECT 1\", min: 1 }]", "spec.verification.checks[0]: check 'orders' names no valid database")]
    [InlineData("    checks: [{ name: a, database: shop, sql: \"SELECT 1\", min: 1 }, { name: a, database: shop, sql: \"SELECT 2\", max: 1 }]", "spec.verification.checks has two checks named 'a'")]
    [InlineData("    databasePrefix: \"#mysql50#\"", "spec.verification.databasePrefix '#mysql50#' is not valid")]
    [InlineData("    databasePrefix: \"\"", "spec.verification.databasePrefix '' is not valid")]
    [InlineData("    databasePrefix: \"an_overly_long_scratch_prefix_\"", "spec.verification.databasePrefix 'an_overly_long_scratch_prefix_' is not valid")]
    [InlineData("    timeOut: 100000h", "spec.verification.timeOut '100000h'")]
    [InlineData("    timeOut: soon", "spec.verification.timeOut 'soon'")]
    [InlineData("    target: { name: \"Not A Name\" }", "spec.verification.target.name 'Not A Name' is not a valid Kubernetes name")]
    [InlineData("    target: { kind: Secret, name: scratch }", "spec.verification.target.kind 'Secret' is not supported")]
    public void A_bad_verification_field_is_named(string verification, string expected)
    {
        var errors = Errors(verification);

        Assert.Contains(errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_bad_verification_stops_only_verification_and_says_so()
    {
        var configuration = Configuration("    schedule: \"61 * * * *\"");

        Assert.Empty(ResourceValidation.Validate(configuration));
        Assert.Null(Serverless.Backup.Control.ControlPlane.ProblemOf(configuration, null, out _));
        var problem = Serverless.Backup.Control.ControlPlane.FeatureProblemOf(configuration);
        Assert.StartsWith("spec.verification.schedule '61 * * * *' is not a valid cron schedule", problem);
        Assert.EndsWith("(only this part is stopped; backups go on)", problem);
        Assert.Equal(problem![..problem!.IndexOf(" (only", StringComparison.Ordinal)], Serverless.Backup.Control.ControlPlane.FeatureProblemFor(MaintenanceTask.Verify, configuration));
        Assert.Null(Serverless.Backup.Control.ControlPlane.FeatureProblemFor(MaintenanceTask.Archive, configuration));
    }

    [Fact]
    public void Too_many_checks_are_refused_without_checking_each()
    {
        var spec = new BackupConfigurationSpec
        {
            Schedule = "0 1 * * *", Repository = new() { Name = "repo" }, Target = new() { Ref = new() { Name = "shop-db" } },
            Verification = new() { Checks = Enumerable.Range(0, 5000).Select(i => new VerificationCheck { Name = $"c{i}", Database = "shop", Sql = "SELECT 1" }).ToList() },
        };

        var errors = ResourceValidation.ValidateVerification(spec);

        Assert.Contains("spec.verification.checks has 5000 checks: use at most 100", errors);
        Assert.Equal(101, errors.Count);
    }

    [Fact]
    public void A_verify_session_needs_its_configuration()
    {
        var session = new MaintenanceSession { Metadata = new() { Name = "v1" }, Spec = new() { Repository = new() { Name = "repo" }, Task = MaintenanceTask.Verify } };

        Assert.Contains(ResourceValidation.Validate(session), e => e.StartsWith("spec.configuration is empty", StringComparison.Ordinal));
        session.Spec = session.Spec with { Configuration = "shop" };
        Assert.Empty(ResourceValidation.Validate(session));
    }
}

/// <summary>status.verifiedSnapshots: each snapshot's latest verification decides, newest first, bounded.</summary>
public sealed class VerifiedSnapshotTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 3, 0, 0, TimeSpan.Zero);

    private static VerificationStatus Run(string result, int day, params string[] ids) =>
        new() { Result = result, Time = T0.AddDays(day), SnapshotIds = [.. ids] };

    [Fact]
    public void A_later_verification_keeps_earlier_proofs_and_a_failed_one_takes_its_snapshot_off()
    {
        var list = VerifiedSnapshot.After(null, Run("Succeeded", 0, "aaaa1111", "bbbb2222"));
        list = VerifiedSnapshot.After(list, Run("Succeeded", 7, "cccc3333"));

        Assert.Equal(["cccc3333", "aaaa1111", "bbbb2222"], list.Select(v => v.Id));
        Assert.Equal(T0, list.Single(v => v.Id == "aaaa1111").Time);

        // aaaa1111 verified again and failed (a damaged pack): it is no longer proved; the others stay.
        list = VerifiedSnapshot.After(list, Run("Failed", 14, "aaaa1111"));
        Assert.Equal(["cccc3333", "bbbb2222"], list.Select(v => v.Id));

        // Verified again and good: back, with the new time.
        list = VerifiedSnapshot.After(list, Run("Succeeded", 21, "aaaa1111"));
        Assert.Equal(("aaaa1111", T0.AddDays(21)), (list[0].Id!, list[0].Time!.Value));
    }

    [Fact]
    public void The_list_is_bounded_and_ignores_ids_that_are_not_snapshot_ids()
    {
        List<VerifiedSnapshot>? list = null;
        for (var i = 0; i < VerifiedSnapshot.MaxKept + 50; i++)
        {
            list = VerifiedSnapshot.After(list, Run("Succeeded", i, $"{i:x8}", "short", null!));
        }

        Assert.Equal(VerifiedSnapshot.MaxKept, list!.Count);
        Assert.Equal($"{VerifiedSnapshot.MaxKept + 49:x8}", list[0].Id);
        Assert.DoesNotContain(list, v => v.Id == "short");
    }
}
