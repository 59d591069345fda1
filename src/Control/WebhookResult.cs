namespace Serverless.Backup.Control;

/// <summary>
/// The outcome of a webhook request: an HTTP status, a message for the runner's log, and a short reason for the
/// webhook metric (the event type when accepted; unsigned, expired, bad_signature, replayed… when rejected).
/// </summary>
public sealed record WebhookResult(int Status, string Message, string Reason = "");
