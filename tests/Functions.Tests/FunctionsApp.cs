using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using k8s;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests;

/// <summary>
/// The real server process (src/Standalone) in folder mode over a temporary folder, with runner Jobs as real runner
/// processes against a real MariaDB. Its own timers are switched off (AzureWebJobs.{Name}.Disabled, as on Azure):
/// tests fire them through the admin route, when they want, and call the HTTP functions on their /api routes.
/// </summary>
public sealed class FunctionsApp : IAsyncLifetime
{
    public const string MasterKey = "test-master-key-0123456789abcdefghijklmnop";
    public const string Namespace = "shop";
    private Process _process = null!;
    private readonly StringBuilder _output = new();

    public MariaDbServer Database { get; private set; } = null!;
    public string Folder { get; } = TestEnvironment.TempFolder("functions");
    public string RepositoryPath { get; } = Path.Combine(TestEnvironment.TempFolder("repo"), "restic");
    public HttpClient Http { get; private set; } = null!;
    public Uri BaseUrl { get; private set; } = null!;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        Database = await MariaDbServer.StartAsync();
        var port = TestEnvironment.FreePort();
        BaseUrl = new Uri($"http://127.0.0.1:{port}/");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(StandaloneApp.ServerDll);
        start.Environment["BACKUP_LISTEN_URL"] = BaseUrl.ToString().TrimEnd('/');
        start.Environment["BACKUP_API_KEY"] = StandaloneApp.ApiKey;
        StandaloneApp.DisableTimers(start.Environment);
        start.Environment["BACKUP_CLUSTER"] = "folder";
        start.Environment["BACKUP_RESOURCES_FOLDER"] = Folder;
        start.Environment["BACKUP_RUNNER_COMMAND"] = $"dotnet {RunnerProcess.RunnerDll}";
        start.Environment["BACKUP_WEBHOOK_BASE_URL"] = BaseUrl.ToString();
        start.Environment["BACKUP_WEBHOOK_MASTER_KEY"] = MasterKey;
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        _process.ErrorDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Http = new HttpClient { BaseAddress = BaseUrl };
        Http.DefaultRequestHeaders.Add("x-functions-key", StandaloneApp.ApiKey);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                (await Http.GetAsync("/")).EnsureSuccessStatusCode();
                break;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(100);
            }
        }
        await WriteBaseResourcesAsync();
    }

    /// <summary>The Repository, AppBinding and Secrets every test uses (kubectl-style YAML in the folder).</summary>
    private async Task WriteBaseResourcesAsync()
    {
        await WriteAsync("repositories", "local", $$"""
            apiVersion: backup.serverless.dev/v1alpha1
            kind: Repository
            metadata: { name: local, namespace: {{Namespace}} }
            spec:
              backend:
                storageSecretName: repo-secret
                local: { mountPath: "{{RepositoryPath}}" }
            """);
        await WriteAsync("secrets", "repo-secret", $$"""
            apiVersion: v1
            kind: Secret
            metadata: { name: repo-secret, namespace: {{Namespace}} }
            stringData: { RESTIC_PASSWORD: "functions-test-password" }
            """);
        await WriteAsync("appbindings", "shop-db", $$"""
            apiVersion: appcatalog.appscode.com/v1alpha1
            kind: AppBinding
            metadata: { name: shop-db, namespace: {{Namespace}} }
            spec:
              clientConfig: { url: "tcp(127.0.0.1:{{Database.Port}})/" }
              secret: { name: shop-db-auth }
            """);
        await WriteAsync("secrets", "shop-db-auth", $$"""
            apiVersion: v1
            kind: Secret
            metadata: { name: shop-db-auth, namespace: {{Namespace}} }
            stringData: { username: "{{MariaDbServer.User}}", password: {{JsonSerializer.Serialize(MariaDbServer.Password)}} }
            """);
    }

    private ResourceFiles Files => new(Folder, Namespace);

    public Task WriteAsync(string plural, string name, string yaml) => Files.WriteAsync(plural, name, yaml);

    public T? Read<T>(string plural, string name) where T : class => Files.Read<T>(plural, name);

    public IReadOnlyList<BackupSession> BackupSessions() => Files.ReadAll<BackupSession>("backupsessions");

    /// <summary>Fires a timer function now through the admin route, and returns the answer ({function, summary}).</summary>
    public async Task<JsonElement> InvokeTimerAsync(string function)
    {
        using var response = await Http.PostAsync("/admin/functions/" + function, null);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(200 == (int)response.StatusCode, text + "\n" + Output);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Runs Reconcile until the session reaches a final phase (the host would fire it every minute).</summary>
    public async Task<JsonElement> WaitForSessionAsync(string plural, string name, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonElement session = default;
        while (DateTime.UtcNow < deadline)
        {
            await InvokeTimerAsync("Reconcile");
            var response = await Http.GetAsync($"/api/sessions/{Namespace}/{plural}/{name}");
            if (response.IsSuccessStatusCode)
            {
                session = await response.Content.ReadFromJsonAsync<JsonElement>();
                if (session.GetProperty("phase").GetString() is "Succeeded" or "Failed" or "Skipped")
                {
                    return session;
                }
            }
            await Task.Delay(500);
        }
        throw new TimeoutException($"session {name} did not finish: {session}\n{Output}");
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        if (Database is not null)
        {
            await Database.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class FunctionsCollection : ICollectionFixture<FunctionsApp>
{
    public const string Name = "functions";
}
