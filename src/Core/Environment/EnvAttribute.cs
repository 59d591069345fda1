namespace Serverless.Backup.Core.Environment;

/// <summary>
/// Binds a settings property to one environment variable. The name is written here and nowhere else:
/// <see cref="EnvContract"/> both produces the Job's environment from a settings record and reads the
/// record back, and the docs test checks that every name is documented in docs/runner.md.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class EnvAttribute(string name) : Attribute
{
    public string Name { get; } = name;

    /// <summary>A credential: the Job passes it through a secretKeyRef, it never reaches argv or logs.</summary>
    public bool Secret { get; init; }

    /// <summary>What to set it to, used in error messages ("set it to …").</summary>
    public string Hint { get; init; } = "";

    /// <summary>For list-valued variables: the separator (',' by default, ' ' for argument lists).</summary>
    public char Separator { get; init; } = ',';
}

/// <summary>Marks a property whose type is itself a group of <see cref="EnvAttribute"/> properties.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class EnvGroupAttribute : Attribute;
