using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Serverless.Backup.Functions.Hosting;
using Serverless.Backup.Functions.Settings;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests.Hosting;

public sealed class CustomHandlerContractTests : IAsyncLifetime
{
    private readonly List<TimerInvocation> seen = [];
    private WebApplication? hosted;
    private WebApplication? standalone;
    private readonly HttpClient hostedClient = new();
    private readonly HttpClient standaloneClient = new();

    public async Task InitializeAsync()
    {
        var timers = new Dictionary<string, TimerHandler>
        {
            ["ScheduleTick"] = (invocation, _) =>
            {
                lock (seen)
                {
                    seen.Add(invocation);
                }
                return Task.FromResult<IReadOnlyList<string>>(["ticked"]);
            },
        };
        var port = TestEnvironment.FreePort();
        hosted = FunctionsApp.Build(new FunctionsOptions { CustomHandlerPort = port, WebhookMasterKey = new string('k', 32) }, timers, MapEcho);
        await hosted.StartAsync();
        hostedClient.BaseAddress = new Uri($"http://127.0.0.1:{port}");

        var standalonePort = TestEnvironment.FreePort();
        standalone = FunctionsApp.Build(new FunctionsOptions { ListenUrl = $"http://127.0.0.1:{standalonePort}", ApiKey = "the-key", WebhookMasterKey = new string('k', 32) }, timers, MapEcho);
        await standalone.StartAsync();
        standaloneClient.BaseAddress = new Uri($"http://127.0.0.1:{standalonePort}");
    }

    private static void MapEcho(WebApplication app)
    {
        app.MapGet("/api/sessions", (HttpRequest request) => Results.Json(new { path = request.Path.Value, query = request.QueryString.Value }));
        app.MapPost("/api/sessions/{namespace}/{kind}/{name}/events", () => Results.Accepted());
    }

    public async Task DisposeAsync()
    {
        hostedClient.Dispose();
        standaloneClient.Dispose();
        if (hosted is not null)
        {
            await hosted.DisposeAsync();
        }
        if (standalone is not null)
        {
            await standalone.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_host_probe_on_the_root_gets_an_answer()
    {
        Assert.Equal(HttpStatusCode.OK, (await hostedClient.GetAsync("/")).StatusCode);
    }

    [Theory]
    [InlineData("2024-11-30T14:43:50.46239Z", "{ \"AdjustForDST\": true }, \"ScheduleStatus\": { \"Last\": \"0001-01-01T00:00:00\", \"Next\": \"2024-11-30T14:45:51+00:00\", \"LastUpdated\": \"2024-11-30T14:43:50.403838+00:00\" }, \"IsPastDue\": false")]
    [InlineData("2024-11-30T14:43:50.46239", "{ \"AdjustForDST\": true }, \"ScheduleStatus\": null, \"IsPastDue\": true")]
    [InlineData("2024-11-30T15:43:50.46239+01:00", "{ \"AdjustForDST\": false }, \"IsPastDue\": true")]
    public async Task A_timer_invocation_as_the_host_sends_it_runs_and_answers_outputs_logs_and_return_value(string utcNow, string timer)
    {
        var body = $$"""
            { "Data": { "timer": { "Schedule": {{timer}} } },
              "Metadata": { "sys": { "MethodName": "ScheduleTick", "UtcNow": "{{utcNow}}", "RandGuid": "fa3b2fbc-26ed-4fcb-be75-82db8773b519" } } }
            """;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/ScheduleTick") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
        var response = await hostedClient.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(JsonValueKind.Object, answer.RootElement.GetProperty("Outputs").ValueKind);
        Assert.Contains("ticked", answer.RootElement.GetProperty("Logs").EnumerateArray().Select(l => l.GetString()));
        Assert.True(answer.RootElement.TryGetProperty("ReturnValue", out _));
        TimerInvocation invocation;
        lock (seen)
        {
            invocation = seen[^1];
        }
        Assert.Equal(new DateTimeOffset(2024, 11, 30, 14, 43, 50, 462, TimeSpan.Zero), invocation.UtcNow.AddTicks(-(invocation.UtcNow.Ticks % TimeSpan.TicksPerMillisecond)));
    }

    [Fact]
    public async Task A_timer_invocation_that_is_not_json_still_gets_the_required_answer_shape()
    {
        var response = await hostedClient.PostAsync("/Reconcile", new StringContent("not json", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains(answer.RootElement.GetProperty("Logs").EnumerateArray(), l => l.GetString()!.Contains("not valid JSON"));
    }

    [Fact]
    public async Task A_proxied_request_keeps_its_api_prefix_and_query()
    {
        var response = await hostedClient.GetAsync("/api/sessions?namespace=prod");
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("/api/sessions", answer.RootElement.GetProperty("path").GetString());
        Assert.Equal("?namespace=prod", answer.RootElement.GetProperty("query").GetString());
    }

    [Fact]
    public async Task Standalone_mode_requires_the_api_key_on_protected_routes_but_not_on_the_signed_webhook()
    {
        var refused = await standaloneClient.GetAsync("/api/sessions");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("x-functions-key", await refused.Content.ReadAsStringAsync());

        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/sessions");
        wrong.Headers.Add("x-functions-key", "other");
        Assert.Equal(HttpStatusCode.Unauthorized, (await standaloneClient.SendAsync(wrong)).StatusCode);

        using var right = new HttpRequestMessage(HttpMethod.Get, "/api/sessions");
        right.Headers.Add("x-functions-key", "the-key");
        Assert.Equal(HttpStatusCode.OK, (await standaloneClient.SendAsync(right)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await standaloneClient.PostAsync("/ScheduleTick", new StringContent("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await standaloneClient.PostAsync("/api/sessions/prod/backup/s/events", new StringContent("{}"))).StatusCode);
    }

    [Fact]
    public async Task A_body_over_one_megabyte_is_refused_with_413()
    {
        var response = await hostedClient.PostAsync("/api/sessions/prod/backup/s/events", new ByteArrayContent(new byte[FunctionsApp.MaxBodyBytes + 1]));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("1 MB", await response.Content.ReadAsStringAsync());
    }
}
