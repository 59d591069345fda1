using System.Globalization;
using System.Reflection;
using System.Text.Json;

namespace Serverless.Backup.Core.Environment;

/// <summary>
/// Reads and writes settings records whose properties carry <see cref="EnvAttribute"/>.
/// Writing omits null values; reading reports every malformed value at once, each naming its variable.
/// Supported property types: string, int, long, double, bool, enums (lower-case names), TimeSpan (whole seconds),
/// IReadOnlyList&lt;string&gt; (separated lists) and IReadOnlyDictionary&lt;string,string&gt; (k=v pairs).
/// A list may also be written as a JSON array of strings (the value starts with '[') and a map as a JSON object of
/// strings (it starts with '{'): the only way to write an item that holds the separator, a '=' in a key, or a
/// space at either end, as database names may. Writing uses the plain form whenever it reads back the same.
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
                    // A malformed JSON list says where it broke; the hint alone would not.
                    var detail = StartsLikeJson(text) && env.Hint.Length > 0 ? $" (it must be {e.Message})" : "";
                    errors.Add($"{env.Name}={shown} is not valid{detail}: set it to {hint}");
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
        IReadOnlyDictionary<string, string> map => map.Count == 0 ? null : FormatMap(map, separator),
        IReadOnlyList<string> list => list.Count == 0 ? null : FormatList(list, separator),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => throw new NotSupportedException($"cannot write {value.GetType().Name} to the environment"),
    };

    /// <summary>Values are written for people to read (kubectl describe): only what JSON requires is escaped.</summary>
    private static readonly JsonSerializerOptions JsonValues = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static string FormatList(IReadOnlyList<string> list, char separator)
    {
        var plain = string.Join(separator, list);
        return Split(plain, separator).SequenceEqual(list, StringComparer.Ordinal) && !StartsLikeJson(plain)
            ? plain
            : JsonSerializer.Serialize(list, JsonValues);
    }

    private static string FormatMap(IReadOnlyDictionary<string, string> map, char separator)
    {
        var plain = string.Join(separator, map.Select(kv => $"{kv.Key}={kv.Value}"));
        var back = StartsLikeJson(plain) ? null : TryParsePairs(plain, separator);
        return back is not null && back.Count == map.Count && map.All(kv => back.TryGetValue(kv.Key, out var v) && v == kv.Value)
            ? plain
            : JsonSerializer.Serialize(map, JsonValues);
    }

    private static bool StartsLikeJson(string text) => text.TrimStart() is ['[' or '{', ..];

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
            return text.StartsWith('[') ? ParseJson<List<string>>(text, "a JSON array of strings such as [\"a b\", \"c,d\"]") : Split(text, separator);
        }
        if (target == typeof(IReadOnlyDictionary<string, string>))
        {
            if (text.StartsWith('{'))
            {
                return ParseJson<Dictionary<string, string>>(text, "a JSON object of strings such as {\"a b\": \"c=d\"}");
            }
            return TryParsePairs(text, separator, out var bad)
                ?? throw new FormatException($"pairs like old=new separated by '{separator}' ('{bad}' is not one), or a JSON object such as {{\"old\": \"new\"}}");
        }
        throw new NotSupportedException($"cannot read {type.Name} from the environment");
    }

    private static T ParseJson<T>(string text, string expected) where T : class
    {
        T? value;
        try
        {
            value = JsonSerializer.Deserialize<T>(text, JsonValues);
        }
        catch (JsonException e)
        {
            throw new FormatException($"{expected} ({e.Message})", e);
        }
        // A null item would reach the runner as a missing name: refuse it with the form.
        var hasNull = value switch
        {
            List<string> list => list.Any(item => item is null),
            Dictionary<string, string> map => map.Values.Any(item => item is null),
            _ => false,
        };
        return value is not null && !hasNull ? value : throw new FormatException($"{expected} (null is not a string)");
    }

    private static Dictionary<string, string>? TryParsePairs(string text, char separator) => TryParsePairs(text, separator, out _);

    private static Dictionary<string, string>? TryParsePairs(string text, char separator, out string? bad)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in Split(text, separator))
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0 || eq == pair.Length - 1)
            {
                bad = pair;
                return null;
            }
            map[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
        }
        bad = null;
        return map;
    }

    private static IReadOnlyList<string> Split(string text, char separator) =>
        separator == ' '
            ? text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            : text.Split(separator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
