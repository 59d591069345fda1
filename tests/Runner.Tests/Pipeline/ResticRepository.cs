using CliWrap;
using CliWrap.Buffered;
using System.Text.Json;

namespace Serverless.Backup.Runner.Tests.Pipeline;

/// <summary>Looks into a local restic repository the way a user would, with the restic CLI.</summary>
public static class ResticRepository
{
    public static async Task<IReadOnlyList<JsonElement>> SnapshotsAsync(string path, string password)
    {
        var result = await Restic(path, password, "snapshots", "--json", "--no-lock");
        return JsonSerializer.Deserialize<List<JsonElement>>(result.Trim() is { Length: > 0 } json ? json : "[]")!;
    }

    public static async Task<IReadOnlyList<string>> LocksAsync(string path, string password)
    {
        var result = await Restic(path, password, "list", "locks", "--no-lock");
        return result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The PIDs of the processes that hold the repository's locks, as the locks say.</summary>
    public static async Task<IReadOnlyList<int>> LockHoldersAsync(string path, string password)
    {
        var holders = new List<int>();
        foreach (var id in await LocksAsync(path, password))
        {
            try
            {
                using var json = JsonDocument.Parse(await Restic(path, password, "cat", "lock", id, "--no-lock"));
                holders.Add(json.RootElement.GetProperty("pid").GetInt32());
            }
            catch (InvalidOperationException)
            {
                // Removed meanwhile.
            }
        }
        return holders;
    }

    public static async Task<string> Restic(string path, string password, params string[] arguments)
    {
        var result = await Cli.Wrap("restic")
            .WithArguments(arguments)
            .WithEnvironmentVariables(new Dictionary<string, string?> { ["RESTIC_REPOSITORY"] = path, ["RESTIC_PASSWORD"] = password })
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync();
        return result.ExitCode == 0 ? result.StandardOutput : throw new InvalidOperationException($"restic {string.Join(' ', arguments)}: {result.StandardError}");
    }
}
