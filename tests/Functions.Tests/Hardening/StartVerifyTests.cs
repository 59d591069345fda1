using System.Text;
using Serverless.Backup.Control;
using Serverless.Backup.Control.Resources;

namespace Serverless.Backup.Functions.Tests.Hardening;

/// <summary>StartMaintenance with task verify in folder mode: a session on demand, or an answer naming the field.</summary>
public sealed class StartVerifyTests : IDisposable
{
    private readonly FolderControlPlane plane = new();

    public StartVerifyTests()
    {
        plane.WriteConfiguration("shop", """
              verification: { databasePrefix: check_ }
            """);
        plane.WriteConfiguration("plain");
        plane.Write("repositories", "other", """
            apiVersion: backup.serverless.dev/v1alpha1
            kind: Repository
            metadata: { name: other, namespace: prod }
            spec: { backend: { storageSecretName: repo-secret, local: { mountPath: /backups } }, check: { paused: true } }
            """);
    }

    public void Dispose() => plane.Dispose();

    private Task<ApiResult> StartAsync(string repository, string body) =>
        plane.Repositories.StartMaintenanceAsync(FolderControlPlane.Namespace, repository, Encoding.UTF8.GetBytes(body), CancellationToken.None);

    private static string Detail(ApiResult result) => Assert.IsType<ProblemBody>(result.Body).Detail;

    [Fact]
    public async Task A_verify_of_a_configuration_of_the_repository_is_a_pending_verify_session()
    {
        var started = await StartAsync("repo", """{"task": "verify", "configuration": "shop", "name": "shop-verify-now", "timeOut": "90m"}""");

        Assert.Equal(202, started.Status);
        Assert.Equal("/api/sessions/prod/maintenancesessions/shop-verify-now", started.Location);
        var session = plane.Read<MaintenanceSession>("maintenancesessions", "shop-verify-now")!;
        Assert.Equal((MaintenanceTask.Verify, "shop", "repo", "90m"), (session.Spec.Task, session.Spec.Configuration, session.Spec.Repository.Name, session.Spec.TimeOut));
        Assert.Equal("shop", session.Metadata.Labels["backup.serverless.dev/configuration"]);
        Assert.Equal(SessionPhase.Pending, session.Status?.Phase);

        // A configuration without spec.verification is verified with the defaults.
        Assert.Equal(202, (await StartAsync("repo", """{"task": "verify", "configuration": "plain"}""")).Status);
    }

    [Fact]
    public async Task A_verify_without_a_configuration_is_400_and_one_the_repository_does_not_hold_is_422_naming_the_field()
    {
        var missing = await StartAsync("repo", """{"task": "verify"}""");
        var unknown = await StartAsync("repo", """{"task": "verify", "configuration": "ghost"}""");
        var elsewhere = await StartAsync("other", """{"task": "verify", "configuration": "shop"}""");
        var badName = await StartAsync("repo", """{"task": "verify", "configuration": "Not/A/Name"}""");

        Assert.Equal(400, missing.Status);
        Assert.StartsWith("configuration is empty", Detail(missing));
        Assert.Equal(422, unknown.Status);
        Assert.Equal("configuration: BackupConfiguration prod/ghost does not exist", Detail(unknown));
        Assert.Equal(422, elsewhere.Status);
        Assert.Equal("configuration: BackupConfiguration prod/shop backs up into repository repo, not other", Detail(elsewhere));
        Assert.Equal(400, badName.Status);
        Assert.StartsWith("configuration 'Not/A/Name' is not a valid Kubernetes name", Detail(badName));
        Assert.False(Directory.Exists(Path.Combine(plane.Folder, FolderControlPlane.Namespace, "maintenancesessions")));
    }

    [Fact]
    public async Task A_configuration_with_an_invalid_verification_cannot_be_verified_on_demand()
    {
        plane.WriteConfiguration("broken", """
              verification: { checks: [{ name: orders, database: shop, sql: "SELECT COUNT(*) FROM orders" }] }
            """);

        var refused = await StartAsync("repo", """{"task": "verify", "configuration": "broken"}""");

        Assert.Equal(422, refused.Status);
        Assert.Contains("spec.verification.checks[0]: check 'orders' expects nothing", Detail(refused));
    }
}
