using System.Diagnostics;
using System.IO.Compression;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Worker.Tests.Deployment;

/// <summary>
/// The Functions app as scripts/publish.sh makes it (once per test class), and its zip unpacked into a fresh folder
/// as the platform unpacks it.
/// </summary>
public sealed class PublishedApp : IAsyncLifetime
{
    public string OutFolder { get; } = TestEnvironment.TempFolder("publish");
    public string ZipPath => Path.Combine(OutFolder, "functions-app.zip");
    public string Unpacked { get; } = TestEnvironment.TempFolder("unpacked");
    public string PublishOutput { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(TestEnvironment.RepoRoot, "scripts", "publish.sh"));
        start.ArgumentList.Add(OutFolder);
        using var publish = Process.Start(start)!;
        var stdout = publish.StandardOutput.ReadToEndAsync();
        var stderr = publish.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        await publish.WaitForExitAsync(timeout.Token);
        PublishOutput = await stdout + await stderr;
        if (publish.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/publish.sh exited {publish.ExitCode}:\n{PublishOutput}");
        }
        ZipFile.ExtractToDirectory(ZipPath, Unpacked);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(OutFolder, recursive: true);
        Directory.Delete(Unpacked, recursive: true);
        return Task.CompletedTask;
    }
}
