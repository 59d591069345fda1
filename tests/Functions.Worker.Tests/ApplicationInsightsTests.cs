using System.Text.Json;
using Serverless.Backup.Control.Endpoints;
using Serverless.Backup.Control.Observability;
using Serverless.Backup.Core.Metrics;
using Serverless.Backup.Testing;
using Serverless.Backup.WorkerHost.Rpc;

namespace Serverless.Backup.Functions.Worker.Tests;

/// <summary>The worker's own Application Insights telemetry, sent to a local ingestion endpoint.</summary>
public sealed class ApplicationInsightsTests
{
    [Fact]
    public async Task A_failed_tick_reaches_application_insights_as_a_failed_invocation_with_its_exception_and_failed_call()
    {
        await using var receiver = await TelemetryReceiver.StartAsync();
        var folder = TestEnvironment.TempFolder("worker-telemetry");
        try
        {
            var settings = BackupWorker.FolderSettings(folder);
            settings["BACKUP_CLUSTER"] = "kubeconfig";
            settings["BACKUP_KUBECONFIG"] = Path.Combine(folder, "kubeconfig");
            settings["APPLICATIONINSIGHTS_CONNECTION_STRING"] = receiver.ConnectionString;
            // Developer mode sends each item at once instead of every 30 seconds.
            settings["ApplicationInsights__DeveloperMode"] = "true";
            await File.WriteAllTextAsync(settings["BACKUP_KUBECONFIG"], $$"""
                apiVersion: v1
                kind: Config
                clusters: [{ name: closed, cluster: { server: "https://127.0.0.1:{{TestEnvironment.FreePort()}}" } }]
                users: [{ name: tester, user: { token: "not-a-real-token" } }]
                contexts: [{ name: closed, context: { cluster: closed, user: tester } }]
                current-context: closed
                """);
            await using var host = await BackupWorker.StartAsync(settings);

            var response = await host.InvokeTimerAsync(FunctionNames.Reconcile, CancellationToken.None);

            Assert.Equal(StatusResult.Types.Status.Failure, response.Result.Status);
            // The invocation's own span names its id; the exception and the failed call to the API server belong
            // to the same operation, so Application Insights shows them under that invocation.
            var invocation = Parse(await receiver.WaitForAsync(
                i => i.Contains("\"name\":\"Invoke\"", StringComparison.Ordinal) && i.Contains($"\"InvocationId\":\"{response.InvocationId}\"", StringComparison.Ordinal),
                TimeSpan.FromSeconds(30)));
            var operation = invocation.GetProperty("tags").GetProperty("ai.operation.id").GetString()!;
            Assert.False(invocation.GetProperty("data").GetProperty("baseData").GetProperty("success").GetBoolean());
            var exception = Parse(await receiver.WaitForAsync(i => i.Contains("\"AppExceptions\"", StringComparison.Ordinal) && i.Contains(operation, StringComparison.Ordinal), TimeSpan.FromSeconds(30)));
            Assert.Contains("Connection refused", exception.GetProperty("data").GetProperty("baseData").GetProperty("exceptions")[0].GetProperty("message").GetString());
            var call = Parse(await receiver.WaitForAsync(i => i.Contains("\"AppDependencies\"", StringComparison.Ordinal) && i.Contains(operation, StringComparison.Ordinal) && i.Contains("/apis/backup.serverless.dev/", StringComparison.Ordinal), TimeSpan.FromSeconds(30)));
            Assert.False(call.GetProperty("data").GetProperty("baseData").GetProperty("success").GetBoolean());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_session_created_by_a_tick_reaches_application_insights_as_a_custom_event_of_that_invocations_operation_and_the_gauges_as_metrics()
    {
        await using var receiver = await TelemetryReceiver.StartAsync();
        using var resources = new ResourceFolder();
        await resources.WriteBaseResourcesAsync();
        await resources.WriteRepositoryAsync("telemetry-repo");
        await resources.WriteConfigurationAsync("telemetry", "* * * * *", repository: "telemetry-repo");
        var settings = BackupWorker.FolderSettings(resources.Path);
        settings["APPLICATIONINSIGHTS_CONNECTION_STRING"] = receiver.ConnectionString;
        settings["ApplicationInsights__DeveloperMode"] = "true";
        var host = await BackupWorker.StartAsync(settings);
        string operation;
        try
        {

            var tick = await host.InvokeTimerAsync(FunctionNames.ScheduleTick, CancellationToken.None);
            Assert.Equal(StatusResult.Types.Status.Success, tick.Result.Status);
            var reconcile = await host.InvokeTimerAsync(FunctionNames.Reconcile, CancellationToken.None);
            Assert.Equal(StatusResult.Types.Status.Success, reconcile.Result.Status);
            var invocation = Parse(await receiver.WaitForAsync(
                i => i.Contains("\"name\":\"Invoke\"", StringComparison.Ordinal) && i.Contains($"\"InvocationId\":\"{tick.InvocationId}\"", StringComparison.Ordinal),
                TimeSpan.FromSeconds(30)));
            operation = invocation.GetProperty("tags").GetProperty("ai.operation.id").GetString()!;
        }
        finally
        {
            // Stopping the worker exports the gauges at once (the exporter's interval is a minute).
            await host.DisposeAsync();
        }
        var created = Parse(await receiver.WaitForAsync(
            i => i.Contains("\"EventData\"", StringComparison.Ordinal) && i.Contains(SessionTelemetry.Events.Created, StringComparison.Ordinal), TimeSpan.FromSeconds(30)));
        Assert.Equal(operation, created.GetProperty("tags").GetProperty("ai.operation.id").GetString());
        var data = created.GetProperty("data").GetProperty("baseData");
        Assert.Equal(SessionTelemetry.Events.Created, data.GetProperty("name").GetString());
        var properties = data.GetProperty("properties");
        Assert.Equal("BackupSession", properties.GetProperty("kind").GetString());
        Assert.Equal("telemetry", properties.GetProperty("configuration").GetString());
        Assert.Equal("telemetry-repo", properties.GetProperty("repository").GetString());
        // Reconcile started its Job (a local process) under the same operation.
        var started = Parse(await receiver.WaitForAsync(
            i => i.Contains("\"EventData\"", StringComparison.Ordinal) && i.Contains(SessionTelemetry.Events.Started, StringComparison.Ordinal), TimeSpan.FromSeconds(30)));
        Assert.Equal(operation, started.GetProperty("tags").GetProperty("ai.operation.id").GetString());
        // The gauges, refreshed after Reconcile, under their Prometheus names.
        var gauge = await receiver.WaitForAsync(
            i => i.Contains("\"MetricData\"", StringComparison.Ordinal) && i.Contains(MetricNames.ConfigurationScheduleIntervalSeconds, StringComparison.Ordinal)
                && i.Contains("\"telemetry\"", StringComparison.Ordinal), TimeSpan.FromSeconds(20));
        Assert.Contains("\"configuration\":\"telemetry\"", gauge, StringComparison.Ordinal);
        // The events are not also sent as traces by the worker's own logger or the host, and no item carries a secret.
        Assert.DoesNotContain(receiver.Items, i => i.Contains("\"MessageData\"", StringComparison.Ordinal) && i.Contains("MySqlBackup.Session", StringComparison.Ordinal));
        Assert.DoesNotContain(receiver.Items, i => i.Contains(BackupWorker.MasterKey, StringComparison.Ordinal) || i.Contains("worker-test-password", StringComparison.Ordinal));
    }

    private static JsonElement Parse(string item)
    {
        using var document = JsonDocument.Parse(item);
        return document.RootElement.Clone();
    }
}
