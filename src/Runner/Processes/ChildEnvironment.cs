using Serverless.Backup.Core.Environment;

namespace Serverless.Backup.Runner.Processes;

/// <summary>
/// The environment of a child process: every secret of the runner's contract is removed (a child inherits the
/// runner's environment otherwise), then only what that child needs is added back.
/// </summary>
public static class ChildEnvironment
{
    private static readonly string[] Stripped =
    [
        .. EnvContract.Variables<RunnerSettings>().Where(v => v.Secret).Select(v => v.Name),
        // Read by the MySQL tools and restic on their own; the runner sets them explicitly where needed.
        "MYSQL_PWD", "RESTIC_PASSWORD_FILE", "RESTIC_PASSWORD_COMMAND", "RESTIC_REPOSITORY", "RESTIC_REPOSITORY_FILE",
    ];

    public static IReadOnlyDictionary<string, string?> With(params (string Name, string? Value)[] variables)
    {
        var result = Stripped.ToDictionary(name => name, _ => (string?)null, StringComparer.Ordinal);
        foreach (var (name, value) in variables)
        {
            result[name] = value;
        }
        return result;
    }
}
