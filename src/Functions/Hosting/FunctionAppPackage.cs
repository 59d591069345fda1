using System.IO.Compression;

namespace Serverless.Backup.Functions.Hosting;

/// <summary>
/// Zips a published app folder for zip deploy (Flex Consumption's one-deploy). Each entry keeps its Unix file
/// mode in the high 16 bits of the external attributes, as Info-ZIP writes them: the platform unpacks the zip
/// on Linux and the host can only start the handler if its executable bit survived.
/// </summary>
public static class FunctionAppPackage
{
    /// <summary>S_IFREG: marks the mode as a regular file's (readers that see no file type ignore the mode).</summary>
    private const int RegularFile = 0x8000;

    public static void Zip(string folder, string zipPath)
    {
        if (!File.Exists(Path.Combine(folder, "host.json")))
        {
            throw new InvalidOperationException($"{folder} has no host.json: run `handler generate-app {folder}` first (scripts/publish.sh does)");
        }
        var fullZip = Path.GetFullPath(zipPath);
        File.Delete(fullZip);
        using var zip = ZipFile.Open(fullZip, ZipArchiveMode.Create);
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (Path.GetFullPath(file) == fullZip)
            {
                continue;
            }
            var name = Path.GetRelativePath(folder, file).Replace(Path.DirectorySeparatorChar, '/');
            var entry = zip.CreateEntryFromFile(file, name, CompressionLevel.Optimal);
            var mode = OperatingSystem.IsWindows()
                ? (name == FunctionAppLayout.HandlerExecutable ? 0b111_101_101 : 0b110_100_100)
                : (int)File.GetUnixFileMode(file);
            entry.ExternalAttributes = (RegularFile | mode) << 16;
        }
    }
}
