using Serverless.Backup.Core.Resources;

namespace Serverless.Backup.Functions.Webhook;

/// <summary>The result of applying a runner event: the new status, or why nothing changed (HTTP status and message).</summary>
public sealed record EventOutcome(SessionStatus? Status, int HttpStatus, string? Refusal)
{
    public static EventOutcome Accepted(SessionStatus status) => new(status, 202, null);

    public static EventOutcome Refused(int httpStatus, string message) => new(null, httpStatus, message);
}
