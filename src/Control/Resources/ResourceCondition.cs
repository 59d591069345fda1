using Serverless.Backup.Core;

namespace Serverless.Backup.Control.Resources;

/// <summary>
/// A condition in a resource's status, as Kubernetes writes them (type, status "True"/"False", reason, message,
/// lastTransitionTime). This system sets one: <see cref="Valid"/>, False with the field and the fix while the
/// resource is invalid.
/// </summary>
public sealed record ResourceCondition
{
    public const string Valid = "Valid";
    /// <summary>spec.verification of a BackupConfiguration: False stops verification only (backups go on).</summary>
    public const string VerificationValid = "VerificationValid";
    /// <summary>spec.pointInTime of a BackupConfiguration: False stops archiving and point-in-time restores only.</summary>
    public const string PointInTimeValid = "PointInTimeValid";

    public required string Type { get; init; }
    public required string Status { get; init; }
    public string? Reason { get; init; }
    public string? Message { get; init; }
    public DateTimeOffset? LastTransitionTime { get; init; }

    /// <summary>The Valid condition for <paramref name="problem"/> (null: valid), keeping the transition time while it holds.</summary>
    public static List<ResourceCondition> ValidityOf(string? problem, IReadOnlyList<ResourceCondition>? current, DateTimeOffset now) =>
        ValidityOf(Valid, problem, current, now);

    /// <summary>The condition <paramref name="type"/> for <paramref name="problem"/> (null: valid), keeping the transition time while it holds.</summary>
    public static List<ResourceCondition> ValidityOf(string type, string? problem, IReadOnlyList<ResourceCondition>? current, DateTimeOffset now)
    {
        var status = problem is null ? "True" : "False";
        var previous = current?.FirstOrDefault(c => c.Type == type);
        var others = current?.Where(c => c.Type != type) ?? [];
        var condition = new ResourceCondition
        {
            Type = type,
            Status = status,
            Reason = problem is null ? "Valid" : "InvalidSpec",
            Message = problem,
            LastTransitionTime = previous?.Status == status ? previous.LastTransitionTime : now,
        };
        return [.. others, condition];
    }

    /// <summary>Whether the conditions already say <paramref name="problem"/> (so nothing needs writing).</summary>
    public static bool Says(IReadOnlyList<ResourceCondition>? current, string? problem) => Says(Valid, current, problem);

    /// <summary>Whether the condition <paramref name="type"/> already says <paramref name="problem"/>.</summary>
    public static bool Says(string type, IReadOnlyList<ResourceCondition>? current, string? problem) =>
        current?.FirstOrDefault(c => c.Type == type) is { } valid && valid.Status == (problem is null ? "True" : "False") && valid.Message == problem;

    /// <summary>The conditions without <paramref name="type"/> (a feature that was removed from the spec).</summary>
    public static List<ResourceCondition> Without(string type, IReadOnlyList<ResourceCondition>? current) =>
        current?.Where(c => c.Type != type).ToList() ?? [];
}

/// <summary>The phase of a resource that is not a session: Ready, or Invalid with a Valid=False condition saying why.</summary>
public static class ResourcePhase
{
    public const string Ready = "Ready";
    public const string Invalid = "Invalid";
}
