using System.Text.RegularExpressions;

namespace Serverless.Backup.WorkerHost;

/// <summary>
/// The host's <c>%NAME%</c> binding expressions: a trigger property such as a timer's schedule may name an app setting
/// between percent signs, and the host puts the setting's value in its place before it creates the trigger
/// (Azure/azure-webjobs-sdk, src/Microsoft.Azure.WebJobs.Host/NameResolverExtensions.cs, ResolveWholeString, over
/// DefaultNameResolver, which reads the host's configuration: the app settings). A name that resolves to nothing
/// puts the function in error: the host indexes the others and never runs that one.
/// </summary>
public static partial class AppSettingExpressions
{
    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex Expression();

    /// <summary>Whether <paramref name="value"/> names an app setting.</summary>
    public static bool HasExpression(string value) => Expression().IsMatch(value);

    /// <summary>The value with every <c>%NAME%</c> replaced by the setting; throws, as the host's indexing does, for an unset one.</summary>
    public static string Resolve(string value, Func<string, string?> setting) => Expression().Replace(value, match =>
    {
        var name = match.Groups[1].Value;
        return setting(name) is { Length: > 0 } resolved
            ? resolved
            : throw new WorkerHostException($"'%{name}%' does not resolve to a value.");
    });
}
