namespace Serverless.Backup.Core.Environment;

/// <summary>Where the runner reports: the webhook of the Functions app and the Pushgateway.</summary>
public sealed record ReportingSettings
{
    [Env("WEBHOOK_URL", Hint = "the Functions app's SessionEvents URL, or leave it unset")]
    public string? WebhookUrl { get; init; }

    [Env("WEBHOOK_TOKEN", Secret = true, Hint = "the session's webhook token (from the session's Secret)")]
    public string? WebhookToken { get; init; }

    [Env("WEBHOOK_RETRY_SECONDS", Hint = "how long to keep retrying the final event, in whole seconds (default 120)")]
    public TimeSpan WebhookRetry { get; init; } = TimeSpan.FromSeconds(120);

    [Env("PUSHGATEWAY_URL", Hint = "the Pushgateway base URL such as http://pushgateway:9091, or leave it unset")]
    public string? PushgatewayUrl { get; init; }

    [Env("RUNNER_TERMINATION_MESSAGE_PATH", Hint = "the file a failed run writes its reason and message to (default /dev/termination-log, the kubelet's; written only when it exists)")]
    public string TerminationMessagePath { get; init; } = "/dev/termination-log";

    [Env("RUNNER_PROGRESS_INTERVAL_SECONDS", Hint = "seconds between progress events, a whole number (default 5)")]
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(5);

    internal void Validate(List<string> errors)
    {
        string N(string p) => RunnerSettings.NameOf<ReportingSettings>(p);
        if (WebhookUrl is not null && !Uri.TryCreate(WebhookUrl, UriKind.Absolute, out _))
        {
            errors.Add($"{N(nameof(WebhookUrl))}='{WebhookUrl}' is not valid: set it to an absolute http(s) URL");
        }
        if (WebhookUrl is not null && WebhookToken is null)
        {
            errors.Add($"{N(nameof(WebhookToken))} is not set: set it to the session's webhook token (the Job takes it from the session's Secret)");
        }
        if (PushgatewayUrl is not null && !Uri.TryCreate(PushgatewayUrl, UriKind.Absolute, out _))
        {
            errors.Add($"{N(nameof(PushgatewayUrl))}='{PushgatewayUrl}' is not valid: set it to an absolute URL such as http://pushgateway:9091");
        }
        if (ProgressInterval <= TimeSpan.Zero)
        {
            errors.Add($"{N(nameof(ProgressInterval))} is not valid: set it to a whole number of seconds above 0");
        }
    }
}
