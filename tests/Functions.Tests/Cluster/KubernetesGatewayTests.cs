using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Cluster;
using Serverless.Backup.Core.Metrics;
using Serverless.Backup.Control.Observability;
using Serverless.Backup.Functions.Tests.Fakes;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests.Cluster;

/// <summary>The Kubernetes gateway with the real KubernetesClient against the fake API Server.</summary>
public sealed class KubernetesGatewayTests : ApiServerTest
{
    private KubernetesGateway gateway = null!;

    protected override Task SeedAsync()
    {
        gateway = new KubernetesGateway(Client);
        return Task.CompletedTask;
    }

    private static BackupSession Session(string name, string configuration = "shop") => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = "prod",
            Labels = new Dictionary<string, string> { [Api.ConfigurationLabel] = configuration },
        },
        Spec = new BackupSessionSpec { Invoker = new Invoker { Name = configuration } },
    };

    [Fact]
    public async Task Creating_a_session_twice_makes_one_and_the_second_create_reports_it_exists()
    {
        var first = Session("shop-202611240100");
        Assert.True(await gateway.TryCreateAsync(first, CancellationToken.None));
        Assert.False(string.IsNullOrEmpty(first.Metadata.Uid));
        Assert.False(await gateway.TryCreateAsync(Session("shop-202611240100"), CancellationToken.None));
        Assert.Single(await gateway.ListAsync<BackupSession>(null, null, CancellationToken.None));
    }

    [Fact]
    public async Task A_status_write_with_a_stale_resource_version_is_a_conflict_and_changes_nothing()
    {
        await gateway.TryCreateAsync(Session("s1"), CancellationToken.None);
        var a = (await gateway.GetAsync<BackupSession>("prod", "s1", CancellationToken.None))!;
        var b = (await gateway.GetAsync<BackupSession>("prod", "s1", CancellationToken.None))!;
        a.Status = new SessionStatus { Phase = SessionPhase.Running };
        await gateway.ReplaceStatusAsync(a, CancellationToken.None);
        b.Status = new SessionStatus { Phase = SessionPhase.Failed };
        await Assert.ThrowsAsync<ConflictException>(() => gateway.ReplaceStatusAsync(b, CancellationToken.None));
        Assert.Equal(SessionPhase.Running, (await gateway.GetAsync<BackupSession>("prod", "s1", CancellationToken.None))!.Status!.Phase);
    }

    [Fact]
    public async Task A_status_write_does_not_change_the_spec()
    {
        await gateway.TryCreateAsync(Session("s1"), CancellationToken.None);
        var read = (await gateway.GetAsync<BackupSession>("prod", "s1", CancellationToken.None))!;
        read.Spec = read.Spec with { Invoker = new Invoker { Name = "changed" } };
        read.Status = new SessionStatus { Phase = SessionPhase.Running };
        await gateway.ReplaceStatusAsync(read, CancellationToken.None);
        var stored = (await gateway.GetAsync<BackupSession>("prod", "s1", CancellationToken.None))!;
        Assert.Equal(("shop", SessionPhase.Running), (stored.Spec.Invoker.Name, stored.Status!.Phase));
    }

    [Fact]
    public async Task Api_server_failures_are_counted_by_code_but_the_expected_404_and_409_are_not()
    {
        var metrics = new ControlPlaneMetrics();
        var counted = new KubernetesGateway(Client, metrics);
        using var nowhere = new Kubernetes(new KubernetesClientConfiguration { Host = $"http://127.0.0.1:{TestEnvironment.FreePort()}" });

        Assert.Null(await counted.GetAsync<BackupSession>("prod", "nobody", CancellationToken.None));
        await counted.TryCreateAsync(Session("s1"), CancellationToken.None);
        Assert.False(await counted.TryCreateAsync(Session("s1"), CancellationToken.None));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => new KubernetesGateway(nowhere, metrics).ListAsync<BackupSession>(null, null, CancellationToken.None));

        using var text = new MemoryStream();
        await metrics.ExportAsync(text, CancellationToken.None);
        var errors = PrometheusText.Parse(System.Text.Encoding.UTF8.GetString(text.ToArray())).Find(MetricNames.ApiServerErrorsTotal);
        Assert.Equal(("0", 1.0), (Assert.Single(errors).Labels["code"], errors[0].Value));
    }

    [Fact]
    public async Task A_missing_object_reads_as_null_and_deletes_as_false()
    {
        Assert.Null(await gateway.GetAsync<BackupSession>("prod", "nobody", CancellationToken.None));
        Assert.False(await gateway.DeleteAsync<BackupSession>("prod", "nobody", CancellationToken.None));
        Assert.Null(await gateway.GetJobAsync("prod", "nobody-run", CancellationToken.None));
    }

    [Fact]
    public async Task Lists_filter_by_namespace_and_labels()
    {
        await gateway.TryCreateAsync(Session("a-1", "a"), CancellationToken.None);
        await gateway.TryCreateAsync(Session("b-1", "b"), CancellationToken.None);
        var other = Session("a-2", "a");
        other.Metadata.NamespaceProperty = "staging";
        await gateway.TryCreateAsync(other, CancellationToken.None);

        var labelled = await gateway.ListAsync<BackupSession>(null, new Dictionary<string, string> { [Api.ConfigurationLabel] = "a" }, CancellationToken.None);
        Assert.Equal(["a-1", "a-2"], labelled.Select(s => s.Metadata.Name).Order());
        Assert.Equal(["a-1", "b-1"], (await gateway.ListAsync<BackupSession>("prod", null, CancellationToken.None)).Select(s => s.Metadata.Name).Order());
    }

    [Fact]
    public async Task Deleting_a_session_deletes_the_job_and_secret_it_owns()
    {
        var session = Session("s1");
        await gateway.TryCreateAsync(session, CancellationToken.None);
        var owner = new V1OwnerReference { ApiVersion = Api.ApiVersion, Kind = "BackupSession", Name = "s1", Uid = session.Metadata.Uid, Controller = true };
        Assert.True(await gateway.TryCreateSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "s1-run", NamespaceProperty = "prod", OwnerReferences = [owner] }, StringData = new Dictionary<string, string> { ["token"] = "t" } }, CancellationToken.None));
        var job = new V1Job { Metadata = new V1ObjectMeta { Name = "s1-run", NamespaceProperty = "prod", OwnerReferences = [owner] }, Spec = new V1JobSpec { Template = new V1PodTemplateSpec { Spec = new V1PodSpec { Containers = [new V1Container { Name = "runner", Image = "i" }] } } } };
        Assert.True(await gateway.TryCreateJobAsync(job, CancellationToken.None));
        Assert.False(await gateway.TryCreateJobAsync(job, CancellationToken.None));
        Assert.Equal(JobOutcome.Running, (await gateway.GetJobAsync("prod", "s1-run", CancellationToken.None))!.Outcome);

        Assert.True(await gateway.DeleteAsync<BackupSession>("prod", "s1", CancellationToken.None));
        Assert.Equal(0, Server.Count("jobs"));
        Assert.Equal(0, Server.Count("secrets"));
    }

    [Fact]
    public async Task A_failed_job_reports_its_condition_and_the_pod_termination_message()
    {
        Server.Seed("apis/batch/v1", "jobs", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "s1-run", ["namespace"] = "prod" },
            ["status"] = new JsonObject
            {
                ["failed"] = 1,
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Failed", ["status"] = "True", ["reason"] = "DeadlineExceeded", ["message"] = "Job was active longer than specified deadline" }),
            },
        });
        var failed = (await gateway.GetJobAsync("prod", "s1-run", CancellationToken.None))!;
        Assert.Equal((JobOutcome.Failed, "DeadlineExceeded"), (failed.Outcome, failed.Reason));
        Assert.Contains("deadline", failed.Message);

        Server.Seed("api/v1", "pods", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "s1-run-abcde", ["namespace"] = "prod", ["labels"] = new JsonObject { ["job-name"] = "s1-run" } },
            ["status"] = new JsonObject { ["containerStatuses"] = new JsonArray(new JsonObject { ["name"] = "runner", ["state"] = new JsonObject { ["terminated"] = new JsonObject { ["exitCode"] = 6, ["message"] = "DumpFailed: mysqldump exited 2" } } }) },
        });
        Assert.Equal("DumpFailed: mysqldump exited 2", (await gateway.GetJobAsync("prod", "s1-run", CancellationToken.None))!.Message);
    }
}
