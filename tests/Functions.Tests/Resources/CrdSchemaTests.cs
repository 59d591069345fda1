using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Testing;
using YamlDotNet.Serialization;

namespace Serverless.Backup.Functions.Tests.Resources;

/// <summary>
/// The CRDs in infra/k8s/crds and the resource model must name the same fields: a field the model writes but the
/// CRD lacks is pruned by the API server (a status that silently loses data), and a CRD field the model lacks is
/// never read.
/// </summary>
public sealed class CrdSchemaTests
{
    private static readonly string Crds = Path.Combine(TestEnvironment.RepoRoot, "infra", "k8s", "crds");

    public static TheoryData<string, Type> Resources => new()
    {
        { "repositories.yaml", typeof(Repository) },
        { "backupconfigurations.yaml", typeof(BackupConfiguration) },
        { "backupsessions.yaml", typeof(BackupSession) },
        { "restoresessions.yaml", typeof(RestoreSession) },
        { "maintenancesessions.yaml", typeof(MaintenanceSession) },
    };

    [Theory]
    [MemberData(nameof(Resources))]
    public void The_crd_schema_has_exactly_the_fields_of_the_resource_model(string file, Type resource)
    {
        var crd = new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(File.ReadAllText(Path.Combine(Crds, file)));
        var version = (IDictionary)((IList)Map(crd, "spec")["versions"]!)[0]!;
        var root = Map(Map((IDictionary)version, "schema"), "openAPIV3Schema");
        var differences = new List<string>();
        foreach (var part in new[] { "spec", "status" })
        {
            var property = resource.GetProperty(part[..1].ToUpperInvariant() + part[1..])!;
            var type = property.PropertyType == typeof(object) ? null : property.PropertyType;
            if (type is null)
            {
                continue;
            }
            Compare(Map(Map(root, "properties"), part), type, part, differences);
        }

        Assert.True(differences.Count == 0, $"{file} and {resource.Name} differ:\n" + string.Join("\n", differences));
    }

    [Fact]
    public void Every_session_and_repository_crd_has_the_status_subresource()
    {
        foreach (var file in new[] { "repositories.yaml", "backupsessions.yaml", "restoresessions.yaml", "maintenancesessions.yaml", "backupconfigurations.yaml" })
        {
            Assert.Contains("subresources: { status: {} }", File.ReadAllText(Path.Combine(Crds, file)));
        }
    }

    private static void Compare(IDictionary schema, Type type, string path, List<string> differences)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (IsLeaf(type))
        {
            return;
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() is var definition
            && (definition == typeof(Dictionary<,>) || definition == typeof(IReadOnlyDictionary<,>)))
        {
            return;
        }
        if (type != typeof(string) && type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>)) is { } enumerable)
        {
            if (schema.Contains("items"))
            {
                Compare((IDictionary)schema["items"]!, enumerable.GetGenericArguments()[0], path + "[]", differences);
            }
            else
            {
                differences.Add($"{path}: the model has a list, the CRD no items");
            }
            return;
        }
        var crdFields = schema.Contains("properties") ? ((IDictionary)schema["properties"]!).Keys.Cast<object>().Select(k => k.ToString()!).ToHashSet() : [];
        var modelFields = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttribute<JsonIgnoreAttribute>() is null && p.GetMethod is not null && p.SetMethod is not null)
            .ToDictionary(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(p.Name));
        foreach (var missing in modelFields.Keys.Except(crdFields))
        {
            differences.Add($"{path}.{missing}: in the model, not in the CRD");
        }
        foreach (var extra in crdFields.Except(modelFields.Keys))
        {
            differences.Add($"{path}.{extra}: in the CRD, not in the model");
        }
        foreach (var (name, property) in modelFields.Where(f => crdFields.Contains(f.Key)))
        {
            Compare((IDictionary)((IDictionary)schema["properties"]!)[name]!, property.PropertyType, $"{path}.{name}", differences);
        }
    }

    private static bool IsLeaf(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(TimeSpan);

    private static IDictionary Map(IDictionary map, string key) => (IDictionary)map[key]!;
}
