using System.Text.Json;
using Serverless.Backup.Control.Endpoints;
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

    private static JsonElement Parse(string item)
    {
        using var document = JsonDocument.Parse(item);
        return document.RootElement.Clone();
    }
}
