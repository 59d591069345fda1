using System.Diagnostics;
using System.Net;
using System.Text;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests;

/// <summary>Standalone mode: no Functions host; the program serves the routes behind its own API key and fires its timers.</summary>
[Collection(FunctionsCollection.Name)]
public sealed class StandaloneModeTests
{
    private const string ApiKey = StandaloneApp.ApiKey;

    private static (Process Process, StringBuilder Output, Uri Url) Start(string folder, string? apiKey, IReadOnlyDictionary<string, string>? environment = null)
    {
        var app = StandaloneApp.Start(folder, apiKey, environment: environment);
        return (app.Process, app.OutputBuilder, app.Url);
    }

    [Fact]
    public async Task Protected_routes_need_the_api_key_and_the_timers_fire_on_their_own()
    {
        // The schedules are app settings: every 2 seconds here; MaintenanceTick is switched off as on Azure.
        var (process, output, url) = Start(TestEnvironment.TempFolder("standalone"), ApiKey, new Dictionary<string, string>
        {
            ["BACKUP_SCHEDULE_TICK"] = "*/2 * * * * *",
            ["BACKUP_RECONCILE_SCHEDULE"] = "1/2 * * * * *",
            ["BACKUP_MAINTENANCE_SCHEDULE"] = "*/2 * * * * *",
            ["AzureWebJobs.MaintenanceTick.Disabled"] = "true",
        });
        using var http = new HttpClient { BaseAddress = url };
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                try
                {
                    (await http.GetAsync("/")).EnsureSuccessStatusCode();
                    break;
                }
                catch (HttpRequestException) when (DateTime.UtcNow < deadline && !process.HasExited)
                {
                    await Task.Delay(100);
                }
            }

            var withoutKey = await http.GetAsync($"/api/sessions?namespace={FunctionsApp.Namespace}");
            Assert.Equal(HttpStatusCode.Unauthorized, withoutKey.StatusCode);
            Assert.Contains("x-functions-key", await withoutKey.Content.ReadAsStringAsync());
            var wrongKey = new HttpRequestMessage(HttpMethod.Get, $"/api/sessions?namespace={FunctionsApp.Namespace}");
            wrongKey.Headers.Add("x-functions-key", "nope");
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrongKey)).StatusCode);
            var withKey = new HttpRequestMessage(HttpMethod.Get, $"/api/sessions?namespace={FunctionsApp.Namespace}");
            withKey.Headers.Add("x-functions-key", ApiKey);
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(withKey)).StatusCode);
            // The webhook is anonymous (signed per session instead): an unsigned event is refused by its signature check, not the key.
            var hook = await http.PostAsync("/api/events", new StringContent("{}", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, hook.StatusCode);
            // A body of another type is refused before it is read, naming the type to send.
            var notJson = await http.PostAsync("/api/events", new StringContent("{}"));
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, notJson.StatusCode);
            Assert.Contains("Content-Type: application/json", await notJson.Content.ReadAsStringAsync());

            var timerDeadline = DateTime.UtcNow.AddSeconds(30);
            while (!(Contains(output, "ScheduleTick:") && Contains(output, "Reconcile:")) && DateTime.UtcNow < timerDeadline)
            {
                await Task.Delay(250);
            }
            Assert.True(Contains(output, "ScheduleTick:") && Contains(output, "Reconcile:"), output.ToString());
            Assert.False(Contains(output, "MaintenanceTick:"), output.ToString());
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Standalone_mode_without_an_api_key_refuses_to_start_and_names_the_setting()
    {
        var (process, output, _) = Start(TestEnvironment.TempFolder("standalone"), apiKey: null);
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, process.ExitCode);
        Assert.Contains("BACKUP_API_KEY", output.ToString());
    }

    [Theory]
    [InlineData("BACKUP_SCHEDULE_TICK", "every minute")]
    [InlineData("BACKUP_RECONCILE_SCHEDULE", "*/5 * * * *")]
    [InlineData("BACKUP_MAINTENANCE_SCHEDULE", "0 0 0 30 2 *")]
    [InlineData("BACKUP_CLUSTER", "cloud")]
    [InlineData("BACKUP_WEBHOOK_MASTER_KEY", "short")]
    [InlineData("BACKUP_WEBHOOK_BASE_URL", "not a url")]
    public async Task A_malformed_setting_stops_the_server_at_start_naming_the_setting(string setting, string value)
    {
        var (process, output, _) = Start(TestEnvironment.TempFolder("standalone"), ApiKey, new Dictionary<string, string> { [setting] = value });
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, process.ExitCode);
        Assert.Contains("error: " + setting, output.ToString());
    }

    private static bool Contains(StringBuilder output, string text)
    {
        lock (output)
        {
            return output.ToString().Contains(text, StringComparison.Ordinal);
        }
    }
}
