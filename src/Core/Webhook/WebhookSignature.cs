using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Serverless.Backup.Core.Webhook;

/// <summary>What a webhook request's signature check found.</summary>
public enum SignatureCheck
{
    Valid,
    /// <summary>A header is missing or malformed.</summary>
    Missing,
    /// <summary>The timestamp is further from now than the allowed skew (a delayed replay).</summary>
    Expired,
    /// <summary>The signature does not match: forged, altered, or made with another session's token.</summary>
    Mismatch,
}

/// <summary>
/// The runner's webhook signing. Each session has its own token, derived from the app's master key and the
/// session's identity (so a Job's token is worthless for any other session); each request is signed with
/// HMAC-SHA256 over "timestamp.body" with that token.
/// </summary>
public static class WebhookSignature
{
    public const string SessionHeader = "X-Backup-Session";
    public const string TimestampHeader = "X-Backup-Timestamp";
    public const string SignatureHeader = "X-Backup-Signature";
    public const string Scheme = "v1=";

    /// <summary>How far a request's timestamp may be from the receiver's clock.</summary>
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(5);

    /// <summary>The session's token: HMAC-SHA256(master key, "namespace/kind/name/uid"), base64url.</summary>
    public static string DeriveToken(string masterKey, SessionIdentity session)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(masterKey), Encoding.UTF8.GetBytes(session.ToString()));
        return Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static string Sign(string token, long timestamp, ReadOnlySpan<byte> body)
    {
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(token));
        var prefix = Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        hmac.TransformBlock(prefix, 0, prefix.Length, null, 0);
        hmac.TransformFinalBlock(body.ToArray(), 0, body.Length);
        return Scheme + Convert.ToHexStringLower(hmac.Hash!);
    }

    public static SignatureCheck Verify(string token, string? timestamp, string? signature, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        if (timestamp is null || signature is null || !signature.StartsWith(Scheme, StringComparison.Ordinal)
            || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return SignatureCheck.Missing;
        }
        if (Math.Abs(now.ToUnixTimeSeconds() - seconds) > MaxSkew.TotalSeconds)
        {
            return SignatureCheck.Expired;
        }
        var expected = Encoding.ASCII.GetBytes(Sign(token, seconds, body));
        var actual = Encoding.ASCII.GetBytes(signature);
        return CryptographicOperations.FixedTimeEquals(expected, actual) ? SignatureCheck.Valid : SignatureCheck.Mismatch;
    }
}

/// <summary>Which session a token belongs to. <see cref="Uid"/> makes a recreated session of the same name a different one.</summary>
public sealed record SessionIdentity(string Namespace, string Kind, string Name, string Uid)
{
    public override string ToString() => $"{Namespace}/{Kind}/{Name}/{Uid}";

    /// <summary>The X-Backup-Session header: namespace/kind/name.</summary>
    public string Header => $"{Namespace}/{Kind}/{Name}";
}
