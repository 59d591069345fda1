namespace Serverless.Backup.Core.Webhook;

/// <summary>The headers of a signed webhook request.</summary>
public static class WebhookHeaders
{
    /// <summary>Unix time in milliseconds when the request was signed.</summary>
    public const string Timestamp = "X-Backup-Timestamp";
    /// <summary><c>sha256=</c> and the lower-case hex HMAC-SHA256(token, timestamp + "." + body).</summary>
    public const string Signature = "X-Backup-Signature";
}
