using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Core.Webhook;
using Serverless.Backup.Control.Cluster;
using Serverless.Backup.Control;
using Serverless.Backup.Control.Jobs;
using Serverless.Backup.Control.Settings;
using Serverless.Backup.Functions.Tests.Fakes;
using Xunit.Abstractions;

namespace Serverless.Backup.Functions.Tests.Benchmarks;

/// <summary>
/// bench/functions.sh: a ScheduleTick over 10,000 BackupConfigurations and the webhook's throughput on signed
/// events, through the real KubernetesClient and the in-process API server. The test run leaves it out
/// (Category=Benchmark); bench/functions.sh runs it (CPU figures include the in-process API server, so they are
/// an upper bound for the app).
/// </summary>
[Trait("Category", "Benchmark")]
public sealed class ControlPlaneBenchmark(ITestOutputHelper output)
{
    private const string MasterKey = "bench-master-key-0123456789abcdefghijklmnop";

    [Fact]
    public async Task Benchmark_schedule_tick_and_webhook_throughput()
    {
        var configurations = int.Parse(Environment.GetEnvironmentVariable("BENCH_CONFIGURATIONS") ?? "10000", CultureInfo.InvariantCulture);
        var events = int.Parse(Environment.GetEnvironmentVariable("BENCH_EVENTS") ?? "3000", CultureInfo.InvariantCulture);
        await using var server = await FakeApiServer.StartAsync();
        using var client = new Kubernetes(new KubernetesClientConfiguration { Host = server.Url.ToString() });
        var gateway = new KubernetesGateway(client);
        for (var i = 0; i < configurations; i++)
        {
            server.Seed("apis/" + Api.ApiVersion, "backupconfigurations", JsonNode.Parse(KubernetesJson.Serialize(KubernetesYaml.Deserialize<BackupConfiguration>($$"""
                apiVersion: backup.serverless.dev/v1alpha1
                kind: BackupConfiguration
                metadata: { name: db-{{i}}, namespace: ns-{{i % 50}} }
                spec:
                  schedule: "{{i % 60}} 3 * * *"
                  repository: { name: repo-{{i}} }
                  target: { ref: { apiVersion: appcatalog.appscode.com/v1alpha1, kind: AppBinding, name: db-{{i}} } }
                """)))!.AsObject());
        }
        var settings = new AppSettings { Cluster = ClusterMode.Kubeconfig, WebhookMasterKey = MasterKey };
        var control = new ControlPlane(gateway, settings, new RunnerJobOptions { Image = "runner" }, new Clock(new DateTimeOffset(2026, 11, 24, 1, 0, 20, TimeSpan.Zero)));
        await control.ScheduleTickAsync(CancellationToken.None); // warm-up
        server.Requests.Clear();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        await control.ScheduleTickAsync(CancellationToken.None);
        wall.Stop();
        var tickCpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        var lists = server.Requests.Count(r => r.StartsWith("GET", StringComparison.Ordinal));
        output.WriteLine($"BENCH schedule_tick configurations={configurations} cpu_ms={tickCpu.TotalMilliseconds:0} wall_ms={wall.ElapsedMilliseconds} list_calls={lists} requests={server.Requests.Count}");

        // Timestamps have 1-second resolution and each accepted event must be newer than the last one of its
        // session, within 5 minutes: 240 events per session, over as many sessions as needed.
        const int PerSession = 240;
        var webhook = new SessionEvents(gateway, settings, TimeProvider.System);
        var start = DateTimeOffset.UtcNow.AddMinutes(-4);
        var requests = new List<(string Header, byte[] Body, string Timestamp, string Signature)>();
        for (var s = 0; s * PerSession < events; s++)
        {
            var name = $"bench-{s}";
            var session = new BackupSession { Metadata = new k8s.Models.V1ObjectMeta { Name = name, NamespaceProperty = "prod" } };
            await gateway.TryCreateAsync(session, CancellationToken.None);
            var token = WebhookSignature.DeriveToken(MasterKey, new SessionIdentity("prod", "BackupSession", name, session.Metadata.Uid));
            for (var i = 0; i < PerSession && s * PerSession + i < events; i++)
            {
                var body = Encoding.UTF8.GetBytes(RunnerJson.Serialize(new ProgressEvent { Verb = "backup", Namespace = "prod", Session = name, Time = start, Database = "shop", BytesDone = i, TotalBytesDone = i, ElapsedSeconds = i }));
                var timestamp = start.ToUnixTimeSeconds() + i;
                requests.Add(($"prod/BackupSession/{name}", body, timestamp.ToString(CultureInfo.InvariantCulture), WebhookSignature.Sign(token, timestamp, body)));
            }
        }
        cpu = Process.GetCurrentProcess().TotalProcessorTime;
        wall.Restart();
        var accepted = 0;
        foreach (var (header, body, timestamp, signature) in requests)
        {
            var result = await webhook.HandleAsync(header, timestamp, signature, body, CancellationToken.None);
            accepted += result.Status is >= 200 and < 300 ? 1 : 0;
        }
        wall.Stop();
        var hookCpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        output.WriteLine($"BENCH webhook events={events} accepted={accepted} events_per_s={events / wall.Elapsed.TotalSeconds:0} cpu_ms={hookCpu.TotalMilliseconds:0} wall_ms={wall.ElapsedMilliseconds}");
    }

    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
