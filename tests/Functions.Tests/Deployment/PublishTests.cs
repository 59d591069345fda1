using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.Backup.Functions.Hosting;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests.Deployment;

/// <summary>scripts/publish.sh: the folder and zip a user deploys to Flex Consumption (runtime custom).</summary>
public sealed class PublishTests(PublishedApp app) : IClassFixture<PublishedApp>
{
    private const string TimerBody = """{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"2024-11-30T14:44:00+00:00","Next":"2024-11-30T14:45:00+00:00","LastUpdated":"2024-11-30T14:44:00.403838+00:00"},"IsPastDue":false}},"Metadata":{"sys":{"MethodName":"ScheduleTick","UtcNow":"2024-11-30T14:44:00.46239Z","RandGuid":"fa3b2fbc-26ed-4fcb-be75-82db8773b519"}}}""";

    [Fact]
    public void The_zip_has_host_json_one_function_folder_per_function_and_the_handler_at_its_root()
    {
        using var zip = ZipFile.OpenRead(app.ZipPath);
        var names = zip.Entries.Select(e => e.FullName).ToHashSet();

        Assert.Contains("host.json", names);
        Assert.Contains(FunctionAppLayout.HandlerExecutable, names);
        Assert.True(JsonNode.DeepEquals(FunctionAppLayout.HostJson(), Read(zip, "host.json")), "the zip's host.json is not FunctionAppLayout.HostJson()");
        foreach (var function in FunctionCatalog.All)
        {
            Assert.True(JsonNode.DeepEquals(FunctionAppLayout.FunctionJson(function), Read(zip, $"{function.Name}/function.json")), $"{function.Name}/function.json differs from the code's binding");
        }
        var folders = names.Where(n => n.Contains('/', StringComparison.Ordinal)).Select(n => n[..n.IndexOf('/', StringComparison.Ordinal)]).Distinct();
        Assert.Equal(FunctionCatalog.All.Select(f => f.Name).Order(), folders.Order());
        // Self-contained: the runtime travels with the handler, the platform needs no .NET.
        Assert.Contains("libcoreclr.so", names);
        Assert.Contains("handler.runtimeconfig.json", names);
        Assert.DoesNotContain(names, n => n.EndsWith(".pdb", StringComparison.Ordinal));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void The_handler_in_the_zip_is_marked_executable_and_stays_executable_when_unpacked()
    {
        using var zip = ZipFile.OpenRead(app.ZipPath);
        var mode = (UnixFileMode)((zip.GetEntry(FunctionAppLayout.HandlerExecutable)!.ExternalAttributes >> 16) & 0x1FF);
        var hostJsonMode = (UnixFileMode)((zip.GetEntry("host.json")!.ExternalAttributes >> 16) & 0x1FF);

        Assert.True(mode.HasFlag(UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute), $"handler's mode in the zip is {mode}");
        Assert.False(hostJsonMode.HasFlag(UnixFileMode.UserExecute), $"host.json's mode in the zip is {hostJsonMode}");
        Assert.True(File.GetUnixFileMode(Path.Combine(app.Unpacked, FunctionAppLayout.HandlerExecutable)).HasFlag(UnixFileMode.UserExecute));
    }

    [Fact]
    public async Task The_unpacked_handler_started_as_its_host_json_says_answers_the_readiness_probe_and_a_timer_invocation()
    {
        // Start it as the Functions host does: the executable and arguments from the layout's own host.json,
        // the port in FUNCTIONS_CUSTOMHANDLER_PORT, the app settings as environment.
        var hostJson = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(app.Unpacked, "host.json")))!["customHandler"]!["description"]!;
        var executable = Path.Combine(app.Unpacked, hostJson["defaultExecutablePath"]!.GetValue<string>());
        var port = TestEnvironment.FreePort();
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = Path.Combine(app.Unpacked, hostJson["workingDirectory"]?.GetValue<string>() ?? ""),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in hostJson["arguments"]?.AsArray() ?? [])
        {
            start.ArgumentList.Add(argument!.GetValue<string>());
        }
        start.Environment["FUNCTIONS_CUSTOMHANDLER_PORT"] = port.ToString(CultureInfo.InvariantCulture);
        start.Environment["BACKUP_CLUSTER"] = "folder";
        start.Environment["BACKUP_RESOURCES_FOLDER"] = TestEnvironment.TempFolder("published-resources");
        start.Environment["BACKUP_WEBHOOK_MASTER_KEY"] = FunctionsApp.MasterKey;
        // A self-contained handler must not need the machine's .NET.
        start.Environment["DOTNET_ROOT"] = "/nonexistent";
        using var handler = Process.Start(start)!;
        var output = new StringBuilder();
        handler.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        handler.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        handler.BeginOutputReadLine();
        handler.BeginErrorReadLine();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            var ready = await WaitForReadinessAsync(http, handler, output);
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

            using var request = new HttpRequestMessage(HttpMethod.Post, "/" + FunctionCatalog.ScheduleTick.Name)
            {
                Content = new StringContent(TimerBody, Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
            request.Headers.Add("X-Azure-Functions-HostVersion", "4.1037.0.0");
            using var timer = await http.SendAsync(request);

            Assert.Equal(HttpStatusCode.OK, timer.StatusCode);
            Assert.Equal("application/json", timer.Content.Headers.ContentType?.MediaType);
            var answer = JsonDocument.Parse(await timer.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(JsonValueKind.Object, answer.GetProperty("Outputs").ValueKind);
            Assert.Contains(answer.GetProperty("Logs").EnumerateArray(), l => l.GetString()!.StartsWith("ScheduleTick: 0 configurations", StringComparison.Ordinal));
        }
        finally
        {
            handler.Kill(entireProcessTree: true);
            await handler.WaitForExitAsync();
        }
    }

    private static JsonNode? Read(ZipArchive zip, string name)
    {
        using var stream = zip.GetEntry(name)?.Open() ?? throw new InvalidOperationException($"{name} is not in the zip");
        return JsonNode.Parse(stream);
    }

    private static async Task<HttpResponseMessage> WaitForReadinessAsync(HttpClient http, Process handler, StringBuilder output)
    {
        // The host probes GET / until any answer arrives, for about 30 to 60 s.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                return await http.GetAsync("/");
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline && !handler.HasExited)
            {
                await Task.Delay(200);
            }
            catch (HttpRequestException e)
            {
                lock (output)
                {
                    throw new InvalidOperationException($"the handler did not answer GET / (exited: {handler.HasExited}):\n{output}", e);
                }
            }
        }
    }
}
