using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Serverless.Backup.Functions.Tests.Deployment;

/// <summary>
/// Validates a document against a CRD's openAPIV3Schema, for the keywords the API server enforces and this
/// project's CRDs use: type, required, enum, pattern, minimum/maximum, properties, additionalProperties,
/// x-kubernetes-preserve-unknown-fields, x-kubernetes-int-or-string, items. Stricter than the API server in one
/// way: a field a schema with properties does not list is an error (the server would drop it without a word,
/// which hides a typo in a sample).
/// </summary>
public static class SchemaValidator
{
    public static IReadOnlyList<string> Validate(JsonNode? value, JsonObject schema)
    {
        var errors = new List<string>();
        Check(value, schema, "", errors, root: true);
        return errors;
    }

    private static void Check(JsonNode? value, JsonObject schema, string path, List<string> errors, bool root = false)
    {
        var at = path.Length == 0 ? "(root)" : path;
        if (value is null)
        {
            if (schema["nullable"]?.GetValue<bool>() != true)
            {
                errors.Add($"{at}: null is not allowed");
            }
            return;
        }
        var type = schema["type"]?.GetValue<string>();
        var intOrString = schema["x-kubernetes-int-or-string"]?.GetValue<bool>() == true;
        var kind = value.GetValueKind();
        var typeOk = intOrString
            ? kind == JsonValueKind.String || IsInteger(value)
            : type switch
            {
                null => true,
                "object" => kind == JsonValueKind.Object,
                "array" => kind == JsonValueKind.Array,
                "string" => kind == JsonValueKind.String,
                "integer" => IsInteger(value),
                "number" => kind == JsonValueKind.Number,
                "boolean" => kind is JsonValueKind.True or JsonValueKind.False,
                _ => false,
            };
        if (!typeOk)
        {
            errors.Add($"{at}: expected {(intOrString ? "integer or string" : type)}, found {kind} {value.ToJsonString()}");
            return;
        }
        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, value)))
        {
            errors.Add($"{at}: {value.ToJsonString()} is not one of {allowed.ToJsonString()}");
        }
        if (schema["pattern"]?.GetValue<string>() is { } pattern && kind == JsonValueKind.String && !Regex.IsMatch(value.GetValue<string>(), pattern))
        {
            errors.Add($"{at}: '{value.GetValue<string>()}' does not match {pattern}");
        }
        if (kind == JsonValueKind.String)
        {
            // Kubernetes counts characters (runes), as a database name's limit does.
            var text = value.GetValue<string>();
            var length = text.EnumerateRunes().Count();
            if (schema["minLength"] is { } minLength && length < long.Parse(minLength.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture))
            {
                errors.Add($"{at}: '{text}' is shorter than {minLength.ToJsonString()} characters");
            }
            if (schema["maxLength"] is { } maxLength && length > long.Parse(maxLength.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture))
            {
                errors.Add($"{at}: '{text}' is longer than {maxLength.ToJsonString()} characters");
            }
        }
        if (kind == JsonValueKind.Number)
        {
            var number = double.Parse(value.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);
            if (schema["minimum"] is { } min && number < double.Parse(min.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture))
            {
                errors.Add($"{at}: {number} is below the minimum {min}");
            }
            if (schema["maximum"] is { } max && number > double.Parse(max.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture))
            {
                errors.Add($"{at}: {number} is above the maximum {max}");
            }
        }
        if (value is JsonObject obj)
        {
            foreach (var name in schema["required"]?.AsArray().Select(r => r!.GetValue<string>()) ?? [])
            {
                if (!obj.ContainsKey(name))
                {
                    errors.Add($"{Join(path, name)}: required");
                }
            }
            var properties = schema["properties"] as JsonObject;
            var additional = schema["additionalProperties"];
            var preserve = schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true;
            foreach (var (name, child) in obj)
            {
                // The API server owns metadata (ObjectMeta), whatever the CRD says of it.
                if (root && name == "metadata")
                {
                    continue;
                }
                if (properties?[name] is JsonObject childSchema)
                {
                    Check(child, childSchema, Join(path, name), errors);
                }
                else if (additional is JsonObject additionalSchema)
                {
                    Check(child, additionalSchema, Join(path, name), errors);
                }
                else if (properties is not null && !preserve && additional?.GetValue<bool>() != true)
                {
                    errors.Add($"{Join(path, name)}: unknown field (the schema lists {string.Join(", ", properties.Select(p => p.Key))})");
                }
            }
        }
        if (value is JsonArray array && schema["items"] is JsonObject items)
        {
            for (var i = 0; i < array.Count; i++)
            {
                Check(array[i], items, $"{at}[{i}]", errors);
            }
        }
    }

    private static bool IsInteger(JsonNode value) =>
        value.GetValueKind() == JsonValueKind.Number && value.AsValue().TryGetValue<long>(out _);

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";
}
