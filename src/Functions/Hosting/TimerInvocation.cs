using System.Globalization;
using System.Text.Json;

namespace Serverless.Backup.Functions.Hosting;

/// <summary>
/// A timer invocation as the host sends it: <c>{"Data":{"timer":{...,"IsPastDue":..}},"Metadata":{"sys":{"UtcNow":..}}}</c>.
/// Timestamps come with an offset, without one (taken as UTC), or with Z; ScheduleStatus is null without useMonitor.
/// </summary>
public sealed record TimerInvocation
{
    public required string FunctionName { get; init; }
    public DateTimeOffset UtcNow { get; init; }
    public bool IsPastDue { get; init; }
    public DateTimeOffset? Last { get; init; }
    public DateTimeOffset? Next { get; init; }

    /// <summary>Reads the body; missing parts fall back to <paramref name="now"/> (the host's clock is only a hint).</summary>
    public static TimerInvocation Parse(string functionName, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        var result = new TimerInvocation { FunctionName = functionName, UtcNow = now };
        if (body.IsEmpty)
        {
            return result;
        }
        using var document = JsonDocument.Parse(body.ToArray());
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("the invocation body is not a JSON object");
        }
        if (Get(root, "Metadata") is { } metadata && Get(metadata, "sys") is { } sys && Time(Get(sys, "UtcNow")) is { } utcNow)
        {
            result = result with { UtcNow = utcNow };
        }
        if (Get(root, "Data") is { } data && Get(data, "timer") is { } timerElement)
        {
            var timer = timerElement;
            // Some hosts pass the timer as a JSON string.
            if (timer.ValueKind == JsonValueKind.String)
            {
                using var inner = JsonDocument.Parse(timer.GetString() ?? "{}");
                return Read(result, inner.RootElement.Clone());
            }
            return Read(result, timer);
        }
        return result;
    }

    private static TimerInvocation Read(TimerInvocation result, JsonElement timer)
    {
        if (Get(timer, "IsPastDue") is { ValueKind: JsonValueKind.True or JsonValueKind.False } pastDue)
        {
            result = result with { IsPastDue = pastDue.GetBoolean() };
        }
        if (Get(timer, "ScheduleStatus") is { ValueKind: JsonValueKind.Object } status)
        {
            result = result with { Last = Time(Get(status, "Last")), Next = Time(Get(status, "Next")) };
        }
        return result;
    }

    private static JsonElement? Get(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value.ValueKind == JsonValueKind.Null ? null : property.Value;
            }
        }
        return null;
    }

    private static DateTimeOffset? Time(JsonElement? element) =>
        element is { ValueKind: JsonValueKind.String } e
        && DateTimeOffset.TryParse(e.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
            ? t
            : null;
}
