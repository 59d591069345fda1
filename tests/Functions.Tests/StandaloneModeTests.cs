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

    private static (Process Process, StringBuilder Output, Uri Url) Start(string folder, string? apiKey)
    {
        var app = StandaloneApp.Start(folder, apiKey);
        return (app.Process, app.OutputBuilder, app.Url);
    }

    [Fact]
    public async Task Protected_routes_need_the_api_key_and_the_timers_fire_on_their_own()
    {
        var (process, output, url) = Start(TestEnvironment.TempFolder("standalone"), ApiKey);
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
            var hook = await http.PostAsync("/api/events", new StringContent("{}"));
            Assert.Equal(HttpStatusCode.BadRequest, hook.StatusCode);

            // Timers fire at second 0 (ScheduleTick) and 30 (Reconcile) of every minute.
            var timerDeadline = DateTime.UtcNow.AddSeconds(45);
            while (!Contains(output, "ScheduleTick:") && !Contains(output, "Reconcile:") && DateTime.UtcNow < timerDeadline)
            {
                await Task.Delay(250);
            }
            Assert.True(Contains(output, "ScheduleTick:") || Contains(output, "Reconcile:"), output.ToString());
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

    private static bool Contains(StringBuilder output, string text)
    {
        lock (output)
        {
            return output.ToString().Contains(text, StringComparison.Ordinal);
        }
    }
}
