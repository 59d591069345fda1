namespace Serverless.Backup.Core.Webhook;

/// <summary>Why a webhook request was accepted or refused.</summary>
public enum WebhookVerdict
{
    Valid,
    Unsigned,
    MalformedTimestamp,
    Expired,
    BadSignature,
}
