using System.Globalization;
using System.Text.Json;

namespace Serverless.Backup.Functions.Hosting;

/// <summary>What the Functions host sends when a timer fires (custom handler, non-proxied invocation).</summary>
public sealed record TimerInvocation(DateTimeOffset? Last, DateTimeOffset? Next, bool IsPastDue, DateTimeOffset UtcNow)
{
    /// <summary>
    /// Reads {"Data": {"timer": {"ScheduleStatus": {...} | null, "IsPastDue": bool}}, "Metadata": {"sys": {"UtcNow": ...}}}.
    /// Timestamps come with an offset, with Z or with none (taken as UTC); anything missing is tolerated.
    /// </summary>
    public static TimerInvocation Parse(JsonElement payload, DateTimeOffset fallbackNow)
    {
        JsonElement timer = default;
        if (payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty("Data", out var data) && data.ValueKind == JsonValueKind.Object)
        {
            foreach (var binding in data.EnumerateObject())
            {
                timer = binding.Value;
                break;
            }
        }
        DateTimeOffset? last = null, next = null;
        var pastDue = false;
        if (timer.ValueKind == JsonValueKind.Object)
        {
            if (timer.TryGetProperty("ScheduleStatus", out var status) && status.ValueKind == JsonValueKind.Object)
            {
                last = Time(status, "Last");
                next = Time(status, "Next");
            }
            pastDue = timer.TryGetProperty("IsPastDue", out var due) && due.ValueKind == JsonValueKind.True;
        }
        var now = payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty("Metadata", out var metadata)
            && metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty("sys", out var sys) && sys.ValueKind == JsonValueKind.Object
            ? Time(sys, "UtcNow") : null;
        return new TimerInvocation(last is { Year: > 1 } ? last : null, next, pastDue, now ?? fallbackNow);
    }

    private static DateTimeOffset? Time(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : null;
}
