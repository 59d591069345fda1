using System.Globalization;
using System.Reflection;

namespace Serverless.Backup.Core.Environment;

/// <summary>
/// Reads and writes settings records whose properties carry <see cref="EnvAttribute"/>.
/// Writing omits null values; reading reports every malformed value at once, each naming its variable.
/// Supported property types: string, int, long, double, bool, enums (lower-case names), TimeSpan (whole seconds),
/// IReadOnlyList&lt;string&gt; (separated lists) and IReadOnlyDictionary&lt;string,string&gt; (k=v pairs).
/// </summary>
public static class EnvContract
{
    /// <summary>One environment variable of a settings type, with the property path that holds it.</summary>
    public sealed record Variable(string Name, bool Secret, string Hint, char Separator, Type Type, IReadOnlyList<PropertyInfo> Path);

    public static IReadOnlyList<Variable> Variables<T>() => Variables(typeof(T));

    public static IReadOnlyList<Variable> Variables(Type type)
    {
        var result = new List<Variable>();
        Collect(type, [], result);
        return result;
    }

    private static void Collect(Type type, List<PropertyInfo> prefix, List<Variable> into)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var path = new List<PropertyInfo>(prefix) { property };
            if (property.GetCustomAttribute<EnvGroupAttribute>() is not null)
            {
                Collect(property.PropertyType, path, into);
            }
            else if (property.GetCustomAttribute<EnvAttribute>() is { } env)
            {
                into.Add(new Variable(env.Name, env.Secret, env.Hint, env.Separator, property.PropertyType, path));
            }
        }
    }

    /// <summary>The environment a process needs to read <paramref name="settings"/> back; null values are left out.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ToEnvironment<T>(T settings) where T : notnull
    {
        var result = new List<KeyValuePair<string, string>>();
        foreach (var variable in Variables(settings.GetType()))
        {
            object? value = settings;
            foreach (var property in variable.Path)
            {
                value = value is null ? null : property.GetValue(value);
            }
            if (Format(value, variable.Separator) is { } text)
            {
                result.Add(new(variable.Name, text));
            }
        }
        return result;
    }

    /// <summary>Reads a settings record; empty values count as unset. Throws <see cref="SettingsException"/> listing every malformed value.</summary>
    public static T FromEnvironment<T>(Func<string, string?> lookup) where T : new()
    {
        var errors = new List<string>();
        var result = (T)Read(typeof(T), lookup, errors);
        if (errors.Count > 0)
        {
            throw new SettingsException(errors);
        }
        return result;
    }

    public static T FromEnvironment<T>(IReadOnlyDictionary<string, string> environment) where T : new() =>
        FromEnvironment<T>(name => environment.TryGetValue(name, out var value) ? value : null);

    /// <summary>Reads from this process's environment.</summary>
    public static T FromProcessEnvironment<T>() where T : new() =>
        FromEnvironment<T>(System.Environment.GetEnvironmentVariable);

    private static object Read(Type type, Func<string, string?> lookup, List<string> errors)
    {
        var instance = Activator.CreateInstance(type)
            ?? throw new InvalidOperationException($"{type.Name} needs a public parameterless constructor");
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<EnvGroupAttribute>() is not null)
            {
                property.SetValue(instance, Read(property.PropertyType, lookup, errors));
            }
            else if (property.GetCustomAttribute<EnvAttribute>() is { } env)
            {
                var text = lookup(env.Name);
                if (string.IsNullOrWhiteSpace(text))
                {
                    continue; // keep the record's default
                }
                try
                {
                    property.SetValue(instance, Parse(text.Trim(), property.PropertyType, env.Separator));
                }
                catch (FormatException e)
                {
                    var shown = env.Secret ? "**redacted**" : $"'{text}'";
                    var hint = env.Hint.Length > 0 ? env.Hint : e.Message;
                    errors.Add($"{env.Name}={shown} is not valid: set it to {hint}");
                }
            }
        }
        return instance;
    }

    private static string? Format(object? value, char separator) => value switch
    {
        null => null,
        string s => s,
        bool b => b ? "true" : "false",
        TimeSpan t => ((long)t.TotalSeconds).ToString(CultureInfo.InvariantCulture),
        Enum e => e.ToString().ToLowerInvariant(),
        IReadOnlyDictionary<string, string> map => map.Count == 0 ? null : string.Join(separator, map.Select(kv => $"{kv.Key}={kv.Value}")),
        IReadOnlyList<string> list => list.Count == 0 ? null : string.Join(separator, list),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => throw new NotSupportedException($"cannot write {value.GetType().Name} to the environment"),
    };

    private static object Parse(string text, Type type, char separator)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (target == typeof(string))
        {
            return text;
        }
        if (target == typeof(int))
        {
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : throw new FormatException("a whole number");
        }
        if (target == typeof(long))
        {
            return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : throw new FormatException("a whole number");
        }
        if (target == typeof(double))
        {
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw new FormatException("a number");
        }
        if (target == typeof(bool))
        {
            return text.ToLowerInvariant() switch
            {
                "true" or "1" or "yes" => true,
                "false" or "0" or "no" => false,
                _ => throw new FormatException("true or false"),
            };
        }
        if (target == typeof(TimeSpan))
        {
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) && s >= 0
                ? TimeSpan.FromSeconds(s)
                : throw new FormatException("a whole number of seconds");
        }
        if (target.IsEnum)
        {
            var names = Enum.GetNames(target);
            var match = names.FirstOrDefault(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
            return match is not null
                ? Enum.Parse(target, match)
                : throw new FormatException("one of " + string.Join(", ", names.Select(n => n.ToLowerInvariant())));
        }
        if (target == typeof(IReadOnlyList<string>))
        {
            return Split(text, separator);
        }
        if (target == typeof(IReadOnlyDictionary<string, string>))
        {
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in Split(text, separator))
            {
                var eq = pair.IndexOf('=');
                if (eq <= 0 || eq == pair.Length - 1)
                {
                    throw new FormatException($"pairs like old=new separated by '{separator}' ('{pair}' is not one)");
                }
                map[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
            }
            return map;
        }
        throw new NotSupportedException($"cannot read {type.Name} from the environment");
    }

    private static IReadOnlyList<string> Split(string text, char separator) =>
        separator == ' '
            ? text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            : text.Split(separator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
