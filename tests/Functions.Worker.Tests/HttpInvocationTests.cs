using System.Net;
using System.Text;
using System.Text.Json;
using Serverless.Backup.Control.Endpoints;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.WorkerHost;
using Serverless.Backup.WorkerHost.Rpc;

namespace Serverless.Backup.Functions.Worker.Tests;

/// <summary>
/// HTTP functions through the ASP.NET Core integration, as the host invokes them: the request forwarded to the
/// worker's own HTTP server with the invocation id, the InvocationRequest over gRPC. An answer the control plane
/// chose (2xx or 4xx) is a successful invocation.
/// </summary>
[Collection(WorkerCollection.Name)]
public sealed class HttpInvocationTests(FolderWorker worker)
{
    private const string Ns = ResourceFolder.Namespace;

    private FunctionsHost Host => worker.Host;

    [Fact]
    public async Task ListSessions_answers_200_with_json_items()
    {
        var result = await InvokeAsync(FunctionNames.ListSessions, HttpMethod.Get, "/api/sessions");

        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        Assert.StartsWith("application/json", result.Headers["content-type"]);
        using var json = JsonDocument.Parse(result.Body);
        Assert.Equal(JsonValueKind.Array, json.RootElement.GetProperty("items").ValueKind);
    }

    [Fact]
    public async Task The_api_document_is_served_without_a_key_and_is_the_checked_in_one()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/openapi.json");

        var result = await Host.InvokeHttpAsync(FunctionNames.OpenApiDocument, request, CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        var checkedIn = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(Serverless.Backup.Testing.TestEnvironment.RepoRoot, "docs", "openapi.json")));
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(checkedIn, System.Text.Json.Nodes.JsonNode.Parse(result.Body)), "the worker serves another document than docs/openapi.json");
    }

    [Fact]
    public async Task GetSession_of_a_missing_session_is_a_404_problem()
    {
        var result = await InvokeAsync(FunctionNames.GetSession, HttpMethod.Get, $"/api/sessions/{Ns}/backupsessions/nobody");

        Problem.Expect(result, HttpStatusCode.NotFound, $"backupsessions {Ns}/nobody does not exist");
    }

    [Fact]
    public async Task A_function_level_route_without_the_function_key_is_refused_before_the_worker()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/sessions");

        var result = await Host.InvokeHttpAsync(FunctionNames.ListSessions, request, CancellationToken.None);

        Assert.Equal(HttpStatusCode.Unauthorized, result.StatusCode);
        Assert.Null(result.Invocation);
    }

    [Fact]
    public async Task TriggerBackup_of_a_configuration_answers_202_with_the_session_and_creates_it()
    {
        await worker.Resources.WriteRepositoryAsync("manual-repo");
        await worker.Resources.WriteConfigurationAsync("manual", "0 1 * * *", repository: "manual-repo");

        var result = await InvokeAsync(FunctionNames.TriggerBackup, HttpMethod.Post, $"/api/backups/{Ns}/manual");

        Assert.Equal(HttpStatusCode.Accepted, result.StatusCode);
        using var json = JsonDocument.Parse(result.Body);
        var name = json.RootElement.GetProperty("session").GetString()!;
        Assert.Equal(SessionPhase.Pending, json.RootElement.GetProperty("phase").GetString());
        Assert.EndsWith($"/sessions/{Ns}/backupsessions/{name}", result.Headers["location"]);
        Assert.Equal(SessionPhase.Pending, worker.Resources.Read<BackupSession>("backupsessions", name)?.Status?.Phase);

        var get = await InvokeAsync(FunctionNames.GetSession, HttpMethod.Get, $"/api/sessions/{Ns}/backupsessions/{name}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Contains("\"manual\"", get.Body);
    }

    [Fact]
    public async Task Metrics_answers_the_prometheus_text()
    {
        var result = await InvokeAsync(FunctionNames.Metrics, HttpMethod.Get, "/api/metrics");

        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        Assert.StartsWith("text/plain", result.Headers["content-type"]);
    }

    [Fact]
    public async Task Bad_requests_get_4xx_problems_and_never_a_5xx()
    {
        Problem.Expect(await PostJsonAsync(FunctionNames.CreateRestore, $"/api/restores/{Ns}", "{ not json"), HttpStatusCode.BadRequest, "not a valid restore request");
        Problem.Expect(await PostJsonAsync(FunctionNames.CreateRestore, $"/api/restores/{Ns}", """{"repository":"local","target":"shop-db","snapshot":"x"}"""), HttpStatusCode.BadRequest, "");
        Problem.Expect(await PostJsonAsync(FunctionNames.CreateRestore, $"/api/restores/{Ns}", """{"repository":"Not_Valid","target":"shop-db"}"""), HttpStatusCode.BadRequest, "repository 'Not_Valid' is not a valid Kubernetes name");
        Problem.Expect(await PostJsonAsync(FunctionNames.CreateRestore, $"/api/restores/{Ns}", """{"repository":"nope","target":"shop-db"}"""), (HttpStatusCode)422, $"repository: Repository {Ns}/nope does not exist");
        Problem.Expect(await PostJsonAsync(FunctionNames.CreateRestore, $"/api/restores/{Ns}", """{"repository":"local","target":"nope"}"""), (HttpStatusCode)422, $"target: AppBinding {Ns}/nope does not exist");
        Problem.Expect(await InvokeAsync(FunctionNames.TriggerBackup, HttpMethod.Post, $"/api/backups/{Ns}/nope"), HttpStatusCode.NotFound, $"BackupConfiguration {Ns}/nope does not exist");
        Problem.Expect(await InvokeAsync(FunctionNames.GetSession, HttpMethod.Get, $"/api/sessions/{Ns}/pods/x"), HttpStatusCode.BadRequest, "'pods' is not a session kind");
        Problem.Expect(await InvokeAsync(FunctionNames.GetSession, HttpMethod.Get, $"/api/sessions/Not_A_Namespace/backupsessions/x"), HttpStatusCode.BadRequest, "is not a valid namespace/name");
        Problem.Expect(await InvokeAsync(FunctionNames.ListSessions, HttpMethod.Get, "/api/sessions?namespace=..%2Fetc"), HttpStatusCode.BadRequest, "is not valid");
    }

    [Fact]
    public async Task A_paused_configuration_cannot_be_triggered()
    {
        await worker.Resources.WriteConfigurationAsync("paused", "0 1 * * *", paused: true);

        var result = await InvokeAsync(FunctionNames.TriggerBackup, HttpMethod.Post, $"/api/backups/{Ns}/paused");

        Problem.Expect(result, HttpStatusCode.Conflict, "spec.paused is true");
    }

    [Theory]
    [InlineData(FunctionNames.CreateRestore, "/api/restores/shop")]
    [InlineData(FunctionNames.SessionEvents, "/api/events")]
    [InlineData(FunctionNames.StartMaintenance, "/api/repositories/shop/local/maintenance")]
    public async Task A_body_over_the_limit_is_a_413_problem(string function, string path)
    {
        var result = await InvokeAsync(function, HttpMethod.Post, path, new ByteArrayContent(new byte[Control.SessionEvents.MaxBodyBytes + 1]));

        Problem.Expect(result, HttpStatusCode.RequestEntityTooLarge, $"larger than {Control.SessionEvents.MaxBodyBytes} bytes");
    }

    private Task<HttpInvocationResult> PostJsonAsync(string function, string path, string json) =>
        InvokeAsync(function, HttpMethod.Post, path, new StringContent(json, Encoding.UTF8, "application/json"));

    /// <summary>Invokes with the function key (the webhook ignores it), as a client of the deployed app would.</summary>
    private async Task<HttpInvocationResult> InvokeAsync(string function, HttpMethod method, string path, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Add(HostContract.FunctionKeyHeader, Host.Options.FunctionKey);
        var result = await Host.InvokeHttpAsync(function, request, CancellationToken.None);
        Assert.True(result.Invocation?.Result.Status == StatusResult.Types.Status.Success,
            $"{function} {path}: the invocation is not a success: {result.Invocation?.Result}\n{Host.Worker.Output}");
        return result;
    }
}

public static class Problem
{
    /// <summary>An RFC 9457 problem with the status and a detail containing <paramref name="detail"/>.</summary>
    public static void Expect(HttpInvocationResult result, HttpStatusCode status, string detail)
    {
        Assert.True(result.StatusCode == status, $"expected {(int)status}, got {(int)result.StatusCode}: {result.Body}");
        Assert.StartsWith("application/problem+json", result.Headers["content-type"]);
        using var json = JsonDocument.Parse(result.Body);
        Assert.Equal((int)status, json.RootElement.GetProperty("status").GetInt32());
        Assert.Contains(detail, json.RootElement.GetProperty("detail").GetString());
        Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("title").GetString()));
    }
}
