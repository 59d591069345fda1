using System.Diagnostics;
using System.Reflection;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests.Deployment;

/// <summary>The Bicep CLI from the Azure.Bicep.CommandLine.linux-x64 package (restored with the tests).</summary>
public static class BicepCli
{
    public static string Folder { get; } = Path.Combine(TestEnvironment.RepoRoot, "infra", "bicep");

    public static string Executable { get; } = Path.Combine(
        typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BicepPackageFolder").Value
            ?? throw new InvalidOperationException("the Bicep package folder is unknown: run dotnet restore"),
        "tools", "bicep");

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static async Task<Result> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Folder,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        // No telemetry, no update checks: the CLI must not reach out of this machine.
        start.Environment["BICEP_TELEMETRY_ENABLED"] = "false";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
