using System.Diagnostics;
using System.Reflection;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Worker.Tests.Deployment;

/// <summary>The Bicep CLI from the Azure.Bicep.CommandLine.linux-x64 package (restored with the tests).</summary>
public static class BicepCli
{
    public static string Folder { get; } = Path.Combine(TestEnvironment.RepoRoot, "infra", "bicep");

    public static string Executable { get; } = Path.Combine(
        typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BicepPackageFolder").Value
            ?? throw new InvalidOperationException("the Bicep package folder is unknown: run dotnet restore"),
        "tools", "bicep");

    /// <summary>Compiles a Bicep file to its ARM template (JSON text); throws with the CLI's errors.</summary>
    public static async Task<string> BuildAsync(string file)
    {
        var start = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Folder };
        foreach (var argument in new[] { "build", file, "--stdout" })
        {
            start.ArgumentList.Add(argument);
        }
        // No telemetry, no update checks: the CLI must not reach out of this machine.
        start.Environment["BICEP_TELEMETRY_ENABLED"] = "false";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return process.ExitCode == 0 && (await stderr).Trim().Length == 0
            ? await stdout
            : throw new InvalidOperationException($"bicep build {file} exited {process.ExitCode}:\n{await stderr}");
    }
}
