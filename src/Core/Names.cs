using System.Text.RegularExpressions;

namespace Serverless.Backup.Core;

/// <summary>Checks of the names that reach Kubernetes, restic and storage (database names: <see cref="DatabaseNames"/>).</summary>
public static partial class Names
{
    /// <summary>A Kubernetes object name (RFC 1123 subdomain, at most 253 characters).</summary>
    public static bool IsDnsSubdomain(string name) => name.Length <= 253 && DnsSubdomain().IsMatch(name);

    /// <summary>A Kubernetes label value or a name that must fit a label (RFC 1123 label, at most 63 characters).</summary>
    public static bool IsDnsLabel(string name) => name.Length <= 63 && DnsLabel().IsMatch(name);

    /// <summary>A restic snapshot id: 8 (short) to 64 hex digits.</summary>
    public static bool IsSnapshotId(string id) => SnapshotId().IsMatch(id);

    public static bool IsAzureContainer(string name) => name.Length is >= 3 and <= 63 && AzureContainer().IsMatch(name) && !name.Contains("--");

    /// <summary>
    /// A name cut to <paramref name="max"/> characters with a short hash of the whole, so that two long names
    /// stay distinct and the result is still a valid Kubernetes name.
    /// </summary>
    public static string Bounded(string name, int max)
    {
        if (name.Length <= max)
        {
            return name;
        }
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)))[..8];
        return name[..(max - 9)].TrimEnd('-', '.') + "-" + hash;
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\z")]
    private static partial Regex DnsSubdomain();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?\\z")]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^[0-9a-f]{8,64}\\z")]
    private static partial Regex SnapshotId();

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?\\z")]
    private static partial Regex AzureContainer();
}
