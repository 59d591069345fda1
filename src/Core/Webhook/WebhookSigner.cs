using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Serverless.Backup.Core.Webhook;

/// <summary>
/// Webhook tokens and signatures. A session's token is HMAC-SHA256(master key, "namespace/kind/name/uid"), so it is
/// valid for that one session only and needs no storage; a request carries a timestamp and
/// HMAC-SHA256(token, timestamp + "." + body), compared in constant time.
/// </summary>
public static class WebhookSigner
{
    /// <summary>How old a signed request may be (and how far in the future, for clock skew).</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);

    /// <summary>The token of one session, lower-case hex.</summary>
    public static string SessionToken(string masterKey, string @namespace, string kind, string name, string uid)
    {
        ArgumentException.ThrowIfNullOrEmpty(masterKey);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(masterKey), Encoding.UTF8.GetBytes($"{@namespace}/{kind}/{name}/{uid}"));
        return Convert.ToHexStringLower(mac);
    }

    /// <summary>The signature header value of <paramref name="body"/> signed at <paramref name="timestamp"/>.</summary>
    public static string Sign(string token, string timestamp, ReadOnlySpan<byte> body) =>
        "sha256=" + Convert.ToHexStringLower(Mac(token, timestamp, body));

    /// <summary>The timestamp header value for <paramref name="time"/>.</summary>
    public static string Timestamp(DateTimeOffset time) => time.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

    public static bool TryParseTimestamp(string? text, out DateTimeOffset time)
    {
        time = default;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || ms > 253402300799999)
        {
            return false;
        }
        time = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        return true;
    }

    /// <summary>Checks a request's headers and body against the session's token at <paramref name="now"/>.</summary>
    public static WebhookVerdict Verify(string token, string? timestamp, string? signature, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signature))
        {
            return WebhookVerdict.Unsigned;
        }
        if (!TryParseTimestamp(timestamp, out var time))
        {
            return WebhookVerdict.MalformedTimestamp;
        }
        if ((now - time).Duration() > MaxAge)
        {
            return WebhookVerdict.Expired;
        }
        if (!signature.StartsWith("sha256=", StringComparison.Ordinal))
        {
            return WebhookVerdict.BadSignature;
        }
        byte[] given;
        try
        {
            given = Convert.FromHexString(signature.AsSpan("sha256=".Length));
        }
        catch (FormatException)
        {
            return WebhookVerdict.BadSignature;
        }
        var expected = Mac(token, timestamp, body);
        return CryptographicOperations.FixedTimeEquals(given, expected) ? WebhookVerdict.Valid : WebhookVerdict.BadSignature;
    }

    private static byte[] Mac(string token, string timestamp, ReadOnlySpan<byte> body)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(token));
        hmac.AppendData(Encoding.UTF8.GetBytes(timestamp + "."));
        hmac.AppendData(body);
        return hmac.GetHashAndReset();
    }
}
