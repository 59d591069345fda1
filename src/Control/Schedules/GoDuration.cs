using System.Globalization;
using System.Text.RegularExpressions;

using Serverless.Backup.Core;

namespace Serverless.Backup.Control.Schedules;

/// <summary>Durations as Kubernetes and Stash write them: "90s", "30m", "1h30m".</summary>
public static partial class GoDuration
{
    /// <summary>
    /// The longest duration any field of this system takes (a session's timeOut). Anything longer is a typo, and
    /// unbounded values overflow TimeSpan and a Job's activeDeadlineSeconds.
    /// </summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(30);

    /// <summary>What a valid duration looks like, for error messages.</summary>
    public const string Rule = "use a Go duration such as 90s, 30m or 1h30m, at least 1s and at most 720h (30 days)";

    /// <summary>The shortest duration accepted: a Job's deadline is whole seconds, and a shorter one would be 0.</summary>
    public static readonly TimeSpan Min = TimeSpan.FromSeconds(1);

    public static bool TryParse(string? text, out TimeSpan duration) => TryParse(text, out duration, out _);

    /// <summary>Parses a duration in (0, <see cref="Max"/>]; the error says what is wrong with it.</summary>
    public static bool TryParse(string? text, out TimeSpan duration, out string? error)
    {
        duration = TimeSpan.Zero;
        error = null;
        // Short texts only: a valid duration up to 720h is a few characters, and the regex work stays bounded.
        if (string.IsNullOrWhiteSpace(text) || text.Length > 64 || !Whole().IsMatch(text))
        {
            error = "is not a duration";
            return false;
        }
        double seconds = 0;
        foreach (Match part in Part().Matches(text))
        {
            var value = double.Parse(part.Groups[1].Value, CultureInfo.InvariantCulture);
            seconds += value * part.Groups[2].Value switch
            {
                "h" => 3600,
                "m" => 60,
                "s" => 1,
                _ => 0.001,
            };
        }
        // Compared as a double before any TimeSpan is made, so 99999999999h is refused instead of overflowing.
        if (!double.IsFinite(seconds) || seconds > Max.TotalSeconds)
        {
            error = $"is longer than {(int)Max.TotalHours}h ({Max.TotalDays:0} days)";
            return false;
        }
        if (seconds <= 0)
        {
            error = "is zero";
            return false;
        }
        if (seconds < Min.TotalSeconds)
        {
            error = "is shorter than 1s";
            return false;
        }
        duration = TimeSpan.FromSeconds(seconds);
        return true;
    }

    /// <summary>The error for a field holding <paramref name="text"/>, or null when it is a valid duration.</summary>
    public static string? Check(string? text, string field) =>
        TryParse(text, out _, out var error) ? null : $"{field} '{Shorten(text)}' {error}: {Rule}";

    /// <summary>A value as shown in an error: user input can be long, and the message must stay readable.</summary>
    public static string Shorten(string? text) => text is null ? "" : text.Length <= 80 ? text : text[..77] + "...";

    public static string Format(TimeSpan duration) =>
        duration.TotalHours >= 1 ? $"{(int)duration.TotalHours}h{duration.Minutes}m{duration.Seconds}s"
        : duration.TotalMinutes >= 1 ? $"{duration.Minutes}m{duration.Seconds}s"
        : $"{duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s";

    [GeneratedRegex("^([0-9]+(\\.[0-9]+)?(h|m|s|ms))+\\z")]
    private static partial Regex Whole();

    [GeneratedRegex("([0-9]+(?:\\.[0-9]+)?)(ms|h|m|s)")]
    private static partial Regex Part();
}
