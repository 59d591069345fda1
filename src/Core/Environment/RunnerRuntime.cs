namespace Serverless.Backup.Core.Environment;

/// <summary>
/// Settings of the .NET runtime the runner runs on, which only the process environment can carry (the runtime
/// reads them before any code runs; runtimeconfig.json has no key for them). The runner image sets them and every
/// Job repeats them, so a Job behaves the same on any image build and in folder mode.
/// </summary>
public static class RunnerRuntime
{
    /// <summary>
    /// A 1 MiB first generation (hexadecimal, as the runtime reads it). Uploading to Azure or S3 leaves a little
    /// garbage per request (the storage SDK, the loopback REST server); with the default budget it piled up for the whole run, so a
    /// 2 GB backup peaked about 11 MB above a 200 MB one. Collected every MiB, memory stays flat at no measurable cost.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> Environment = new Dictionary<string, string>
    {
        ["DOTNET_GCgen0size"] = "0x100000",
    };
}
