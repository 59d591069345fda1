using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Serverless.Backup.Core.Resources;
using Serverless.Backup.Functions.Cluster;
using Serverless.Backup.Functions.Schedules;
using Serverless.Backup.Functions.Tests.Fakes;

namespace Serverless.Backup.Functions.Tests.Schedules;

public sealed class ScheduleTickTests : IAsyncLifetime
{
    private const string Crd = "apis/" + ResourceGroup.ApiVersion;
    private static readonly DateTimeOffset Slot = new(2026, 11, 24, 1, 0, 0, TimeSpan.Zero);
    private FakeApiServer server = null!;
    private Kubernetes client = null!;

    public async Task InitializeAsync()
    {
        server = await FakeApiServer.StartAsync();
        client = new Kubernetes(new KubernetesClientConfiguration { Host = server.Url.ToString() });
    }

    public async Task DisposeAsync()
    {
        client.Dispose();
        await server.DisposeAsync();
    }

    private static JsonObject Json(object resource) => JsonNode.Parse(KubernetesJson.Serialize(resource))!.AsObject();

    private void SeedConfiguration(string name, string repository = "repo", string schedule = "0 1 * * *", int history = 1)
    {
        server.Seed(Crd, BackupConfiguration.Plural, Json(new BackupConfiguration
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "prod" },
            Spec = new BackupConfigurationSpec { Schedule = schedule, Repository = new ObjectRef { Name = repository }, BackupHistoryLimit = history },
        }));
    }

    private JsonObject SeedSession(string configuration, string name, string phase, string repository = "repo")
    {
        var session = SchedulePlanner.NewSession(new BackupConfiguration
        {
            Metadata = new V1ObjectMeta { Name = configuration, NamespaceProperty = "prod" },
            Spec = new BackupConfigurationSpec { Repository = new ObjectRef { Name = repository } },
        }, name, null, "schedule");
        session.Status = new SessionStatus { Phase = phase };
        return server.Seed(Crd, BackupSession.Plural, Json(session));
    }

    private ScheduleTick Tick() => new(new KubernetesGateway(client), "UTC");

    [Fact]
    public async Task Duplicate_ticks_of_one_slot_make_one_session()
    {
        SeedConfiguration("shop");
        await Task.WhenAll(Tick().RunAsync(Slot.AddSeconds(5), CancellationToken.None), Tick().RunAsync(Slot.AddSeconds(5), CancellationToken.None));
        await Tick().RunAsync(Slot.AddSeconds(65), CancellationToken.None);

        var sessions = await new KubernetesGateway(client).ListBackupSessionsAsync(CancellationToken.None);
        var session = Assert.Single(sessions);
        Assert.Equal("shop-202611240100", session.Metadata.Name);
        Assert.Equal("shop", session.Metadata.Labels[ResourceGroup.ConfigurationLabel]);
        Assert.False(string.IsNullOrEmpty(session.Metadata.Uid));
    }

    [Fact]
    public async Task A_tick_lists_the_api_server_only_twice()
    {
        for (var i = 0; i < 20; i++)
        {
            SeedConfiguration($"db{i}", repository: $"repo{i}");
        }
        server.Requests.Clear();
        await Tick().RunAsync(Slot.AddSeconds(5), CancellationToken.None);
        Assert.Equal(2, server.Requests.Count(r => r.StartsWith("GET", StringComparison.Ordinal)));
        Assert.Equal(20, server.Count(BackupSession.Plural));
    }

    [Fact]
    public async Task A_busy_repository_makes_the_new_session_skipped_with_the_reason()
    {
        SeedSession("other", "other-202611240000", SessionPhase.Running);
        SeedConfiguration("shop");
        await Tick().RunAsync(Slot.AddSeconds(5), CancellationToken.None);

        var session = await new KubernetesGateway(client).GetBackupSessionAsync("prod", "shop-202611240100", CancellationToken.None);
        Assert.Equal(SessionPhase.Skipped, session?.Status?.Phase);
        Assert.Equal("RepositoryBusy", session?.Status?.Reason);
        Assert.Contains("other-202611240000", session?.Status?.Message);
    }

    [Fact]
    public async Task History_is_trimmed_and_a_trimmed_session_takes_its_job_and_secret_with_it()
    {
        SeedConfiguration("shop", schedule: "0 3 * * *", history: 1);
        var old = SeedSession("shop", "shop-202611220100", SessionPhase.Succeeded);
        await Task.Delay(1100);
        SeedSession("shop", "shop-202611230100", SessionPhase.Succeeded);
        var owner = new JsonArray(new JsonObject { ["apiVersion"] = ResourceGroup.ApiVersion, ["kind"] = "BackupSession", ["name"] = "shop-202611220100", ["uid"] = old["metadata"]!["uid"]!.GetValue<string>() });
        server.Seed("api/v1", "secrets", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "shop-202611220100-run", ["namespace"] = "prod", ["ownerReferences"] = owner } });
        server.Seed("apis/batch/v1", "jobs", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "shop-202611220100-run", ["namespace"] = "prod", ["ownerReferences"] = owner.DeepClone() } });

        await Tick().RunAsync(Slot.AddSeconds(5), CancellationToken.None);

        Assert.Null(server.Get(Crd, BackupSession.Plural, "prod", "shop-202611220100"));
        Assert.NotNull(server.Get(Crd, BackupSession.Plural, "prod", "shop-202611230100"));
        Assert.Equal(0, server.Count("secrets"));
        Assert.Equal(0, server.Count("jobs"));
    }

    [Fact]
    public async Task An_invalid_cron_is_written_to_the_configuration_status_naming_the_field()
    {
        SeedConfiguration("bad", schedule: "0 0 1 * * *");
        await Tick().RunAsync(Slot.AddSeconds(5), CancellationToken.None);
        var configuration = server.Get(Crd, BackupConfiguration.Plural, "prod", "bad")!;
        Assert.Contains("spec.schedule='0 0 1 * * *'", configuration["status"]!["message"]!.GetValue<string>());
        Assert.Equal(0, server.Count(BackupSession.Plural));
    }

    [Fact]
    public async Task A_stale_status_update_gets_a_conflict()
    {
        SeedSession("shop", "shop-1", SessionPhase.Pending);
        var gateway = new KubernetesGateway(client);
        var first = (await gateway.GetBackupSessionAsync("prod", "shop-1", CancellationToken.None))!;
        var second = (await gateway.GetBackupSessionAsync("prod", "shop-1", CancellationToken.None))!;
        first.Status = new SessionStatus { Phase = SessionPhase.Running };
        await gateway.ReplaceBackupSessionStatusAsync(first, CancellationToken.None);
        second.Status = new SessionStatus { Phase = SessionPhase.Failed };
        await Assert.ThrowsAsync<ConflictException>(() => gateway.ReplaceBackupSessionStatusAsync(second, CancellationToken.None));
        Assert.Equal(SessionPhase.Running, (await gateway.GetBackupSessionAsync("prod", "shop-1", CancellationToken.None))!.Status!.Phase);
        Assert.Null(await gateway.GetBackupSessionAsync("prod", "missing", CancellationToken.None));
    }
}
