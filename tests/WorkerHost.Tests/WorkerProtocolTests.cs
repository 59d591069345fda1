using System.Net;
using System.Text.Json;
using Serverless.Backup.WorkerHost.Rpc;

namespace Serverless.Backup.WorkerHost.Tests;

/// <summary>
/// The real isolated worker (the sample app's build output, started as `dotnet SampleWorker.dll` with the host's
/// arguments) taken through the host's protocol by the fixture: init, metadata, load, timer and HTTP invocations.
/// </summary>
public sealed class WorkerProtocolTests(SampleWorkerHost sample) : IClassFixture<SampleWorkerHost>
{
    private const string FailureMessage = "SampleFailingTick was told to fail by SAMPLE_TICK_FAILS";

    private FunctionsHost Host => sample.Host;

    [Fact]
    public void The_worker_is_started_with_the_hosts_arguments_and_environment()
    {
        var commandLine = Host.Worker.CommandLine;
        Assert.Equal("dotnet", commandLine[0]);
        Assert.EndsWith("SampleWorker.dll", commandLine[1]);
        Assert.Equal(Host.GrpcUri.AbsoluteUri, ValueAfter(commandLine, "--functions-uri"));
        Assert.Equal(Host.GrpcUri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), ValueAfter(commandLine, "--port"));
        Assert.False(string.IsNullOrEmpty(ValueAfter(commandLine, "--functions-worker-id")));
        Assert.Equal("dotnet-isolated", Host.Worker.Environment["FUNCTIONS_WORKER_RUNTIME"]);
        Assert.Equal(Host.App.Directory, Host.Worker.Environment["FUNCTIONS_APPLICATION_DIRECTORY"]);
        Assert.Equal("true", Host.Worker.Environment[SampleWorkerHost.FailingTickSetting]);
    }

    [Fact]
    public void Init_succeeds_and_the_worker_reports_its_http_server()
    {
        Assert.Equal(StatusResult.Types.Status.Success, Host.InitResponse.Result.Status);
        Assert.NotNull(Host.WorkerHttpUri);
        Assert.True(Host.WorkerHttpUri!.IsLoopback, $"HttpUri {Host.WorkerHttpUri} is not a loopback address");
    }

    [Fact]
    public void The_metadata_lists_the_three_functions_with_their_triggers()
    {
        Assert.Equal(StatusResult.Types.Status.Success, Host.MetadataResponse.Result.Status);
        Assert.Equal(["SampleFailingTick", "SampleHello", "SampleTick"], Host.Functions.Select(f => f.Name).Order());

        var tick = Host.Function("SampleTick");
        Assert.Equal("timerTrigger", tick.Trigger.Type);
        Assert.Equal("0 */5 * * * *", tick.Schedule);

        var failingTick = Host.Function("SampleFailingTick");
        Assert.Equal("timerTrigger", failingTick.Trigger.Type);
        Assert.Equal("0 0 3 * * 0", failingTick.Schedule);

        var hello = Host.Function("SampleHello");
        Assert.Equal("httpTrigger", hello.Trigger.Type);
        Assert.Equal("hello/{name}", hello.Route);
        Assert.Equal(["get", "post"], hello.Methods);
        Assert.Equal("Function", hello.AuthLevel);
        Assert.Contains(hello.Bindings, b => b.Type == "http" && b.Direction == "Out" && b.Name == "$return");
        Assert.All(Host.Functions, f => Assert.EndsWith(".dll", f.Metadata.ScriptFile));
    }

    [Fact]
    public void Every_function_loads()
    {
        Assert.Equal(Host.Functions.Count, Host.LoadResponses.Count);
        Assert.All(Host.LoadResponses, load => Assert.True(
            load.Value.Result.Status == StatusResult.Types.Status.Success,
            $"{load.Key} did not load: {load.Value.Result.Exception?.Message}"));
    }

    [Fact]
    public async Task A_timer_invocation_succeeds_and_its_logs_carry_the_invocation_id()
    {
        var response = await Host.InvokeTimerAsync("SampleTick", CancellationToken.None);

        Assert.True(response.Result.Status == StatusResult.Types.Status.Success, $"failed: {response.Result.Exception?.Message}");
        var log = await LogAsync(response.InvocationId, "SampleTick ran");
        Assert.Equal(RpcLog.Types.Level.Information, log.Level);
    }

    [Fact]
    public async Task A_timer_that_throws_is_a_failed_invocation_with_the_exception_message()
    {
        var response = await Host.InvokeTimerAsync("SampleFailingTick", CancellationToken.None);

        Assert.Equal(StatusResult.Types.Status.Failure, response.Result.Status);
        Assert.Contains(FailureMessage, response.Result.Exception.Message);
    }

    [Fact]
    public async Task An_http_function_answers_through_the_workers_own_http_server()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/hello/world");
        request.Headers.Add(HostContract.FunctionKeyHeader, Host.Options.FunctionKey);

        var result = await Host.InvokeHttpAsync("SampleHello", request, CancellationToken.None);

        Assert.True(result.StatusCode == HttpStatusCode.OK, $"{result.StatusCode}: {result.Body}\n{Host.Worker.Output}");
        Assert.StartsWith("application/json", result.Headers["content-type"]);
        using var json = JsonDocument.Parse(result.Body);
        Assert.Equal("Hello, world", json.RootElement.GetProperty("greeting").GetString());
        Assert.Equal("/api/hello/world", json.RootElement.GetProperty("path").GetString());
        Assert.NotNull(result.Invocation);
        Assert.Equal(result.InvocationId, result.Invocation!.InvocationId);
        Assert.True(result.Invocation.Result.Status == StatusResult.Types.Status.Success, $"failed: {result.Invocation.Result.Exception?.Message}");
        await LogAsync(result.InvocationId, "SampleHello greets world");
    }

    [Fact]
    public async Task A_posted_body_and_its_headers_reach_the_http_function_unchanged()
    {
        const string payload = "{\"sequence\": 7, \"text\": \"caf\u00e9 \u2713\"}";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/hello/poster?code=" + Uri.EscapeDataString(Host.Options.FunctionKey))
        {
            Content = new StringContent(payload, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Sample", "signed=abc");

        var result = await Host.InvokeHttpAsync("SampleHello", request, CancellationToken.None);

        Assert.True(result.StatusCode == HttpStatusCode.OK, $"{result.StatusCode}: {result.Body}");
        using var json = JsonDocument.Parse(result.Body);
        Assert.Equal("POST", json.RootElement.GetProperty("method").GetString());
        Assert.Equal(payload, json.RootElement.GetProperty("body").GetString());
        Assert.Equal("signed=abc", json.RootElement.GetProperty("header").GetString());
        Assert.Equal(StatusResult.Types.Status.Success, result.Invocation!.Result.Status);
    }

    [Fact]
    public async Task An_http_function_at_function_level_refuses_a_request_without_the_key()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/hello/world");

        var result = await Host.InvokeHttpAsync("SampleHello", request, CancellationToken.None);

        Assert.Equal(HttpStatusCode.Unauthorized, result.StatusCode);
        Assert.Null(result.Invocation);
        Assert.Empty(Host.LogsOf(result.InvocationId));
    }

    private static string? ValueAfter(IReadOnlyList<string> arguments, string name)
    {
        var index = arguments.ToList().IndexOf(name);
        return index >= 0 && index + 1 < arguments.Count ? arguments[index + 1] : null;
    }

    /// <summary>
    /// The worker's RpcLog of an invocation that contains <paramref name="text"/>. Logs travel on the same stream as
    /// the InvocationResponse but are written from the logger, so one may trail the response briefly.
    /// </summary>
    private async Task<RpcLog> LogAsync(string invocationId, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var log = Host.LogsOf(invocationId).FirstOrDefault(l => l.Message.Contains(text, StringComparison.Ordinal));
            if (log is not null)
            {
                return log;
            }
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"no RpcLog with invocation id {invocationId} says '{text}'; logs:\n"
                    + string.Join('\n', Host.Logs.Select(l => $"[{l.InvocationId}] {l.Category}: {l.Message}")));
            }
            await Task.Delay(50);
        }
    }
}
