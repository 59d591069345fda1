using System.Reflection;
using System.Text.Json;
using Serverless.Backup.Core.Resources;
using Serverless.Backup.Testing;
using YamlDotNet.Serialization;

namespace Serverless.Backup.Functions.Tests.Resources;

public sealed class CrdManifestTests
{
    [Theory]
    [InlineData("repository.yaml", typeof(RepositorySpec), typeof(RepositoryStatus), "repositories")]
    [InlineData("backupconfiguration.yaml", typeof(BackupConfigurationSpec), typeof(BackupConfigurationStatus), "backupconfigurations")]
    [InlineData("backupsession.yaml", typeof(BackupSessionSpec), typeof(SessionStatus), "backupsessions")]
    [InlineData("restoresession.yaml", typeof(RestoreSessionSpec), typeof(SessionStatus), "restoresessions")]
    public void Every_crd_has_a_status_subresource_printer_columns_and_a_schema_for_every_field_of_the_model(string file, Type spec, Type status, string plural)
    {
        var yaml = File.ReadAllText(Path.Combine(TestEnvironment.RepoRoot, "infra", "k8s", "crds", file));
        var json = new SerializerBuilder().JsonCompatible().Build().Serialize(new DeserializerBuilder().Build().Deserialize<object>(yaml)!);
        using var document = JsonDocument.Parse(json);
        var crdSpec = document.RootElement.GetProperty("spec");
        Assert.Equal(ResourceGroup.Group, crdSpec.GetProperty("group").GetString());
        Assert.Equal(plural, crdSpec.GetProperty("names").GetProperty("plural").GetString());
        var version = crdSpec.GetProperty("versions")[0];
        Assert.Equal(ResourceGroup.Version, version.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Object, version.GetProperty("subresources").GetProperty("status").ValueKind);
        var columns = version.GetProperty("additionalPrinterColumns").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
        Assert.Contains("Age", columns);
        var properties = version.GetProperty("schema").GetProperty("openAPIV3Schema").GetProperty("properties");
        AssertCovers(spec, properties.GetProperty("spec"));
        AssertCovers(status, properties.GetProperty("status"));
    }

    private static void AssertCovers(Type model, JsonElement schema)
    {
        var names = schema.GetProperty("properties").EnumerateObject().Select(p => p.Name).ToHashSet();
        foreach (var property in model.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var camel = JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            Assert.True(names.Contains(camel), $"{model.Name}.{property.Name} has no '{camel}' in the CRD schema");
        }
    }
}
