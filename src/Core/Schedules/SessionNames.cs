using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Serverless.Backup.Core.Schedules;

/// <summary>
/// Deterministic names: the same configuration and slot always give the same session name, so a duplicate timer
/// firing (or two instances) creates one session and the second create gets 409.
/// </summary>
public static class SessionNames
{
    /// <summary>Kept within a DNS label so Job names and label values derived from it are valid.</summary>
    public const int MaxLength = 63;

    /// <summary>Such as <c>shop-202611240100</c> for the 01:00 UTC slot of 2026-11-24.</summary>
    public static string ForSlot(string configuration, DateTimeOffset slotUtc) =>
        Fit(configuration, slotUtc.UtcDateTime.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture));

    /// <summary>An instant backup: the configuration, the UTC second and a short random part.</summary>
    public static string ForTrigger(string configuration, DateTimeOffset nowUtc) =>
        Fit(configuration, nowUtc.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2)));

    /// <summary>The Job (and Secret) of a session: the session's name with a suffix, within 63 characters.</summary>
    public static string JobFor(string session) => Fit(session, "run");

    /// <summary><paramref name="prefix"/>-<paramref name="suffix"/>, or a truncated prefix with a hash of the whole when too long.</summary>
    public static string Fit(string prefix, string suffix)
    {
        var full = $"{prefix}-{suffix}";
        if (full.Length <= MaxLength)
        {
            return full;
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(full)))[..8];
        var keep = MaxLength - suffix.Length - hash.Length - 2;
        return $"{prefix[..keep].TrimEnd('-', '.')}-{hash}-{suffix}";
    }
}
