using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Jobs;

namespace Serverless.Backup.Functions.Tests.Deployment;

/// <summary>infra/k8s: every manifest loads, every sample is valid against its CRD's schema.</summary>
public sealed class ManifestTests
{
    public static TheoryData<string> ManifestFiles() => new(Manifests.All.Select(f => Path.GetRelativePath(Manifests.Folder, f)));

    public static TheoryData<string> SampleFiles() => new(Manifests.Samples.Select(f => Path.GetRelativePath(Manifests.Folder, f)));

    [Theory]
    [MemberData(nameof(ManifestFiles))]
    public void Every_manifest_loads_with_the_kubernetes_client_as_known_kinds(string file)
    {
        var objects = KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(Manifests.Folder, file)), Manifests.TypeMap);

        Assert.NotEmpty(objects);
        Assert.All(objects, o => Assert.IsAssignableFrom<IKubernetesObject<V1ObjectMeta>>(o));
        Assert.All(objects, o => Assert.False(string.IsNullOrEmpty(((IKubernetesObject<V1ObjectMeta>)o).Metadata.Name), $"an object in {file} has no name"));
    }

    [Theory]
    [MemberData(nameof(SampleFiles))]
    public void Every_sample_resource_is_valid_against_its_crd_schema(string file)
    {
        var documents = YamlDocuments.Load(Path.Combine(Manifests.Folder, file));
        var custom = documents.Where(d => d["apiVersion"]!.GetValue<string>().Contains('.', StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(custom);
        foreach (var document in custom)
        {
            var schema = SchemaOf(document["apiVersion"]!.GetValue<string>(), document["kind"]!.GetValue<string>());
            var errors = SchemaValidator.Validate(document, schema);
            Assert.True(errors.Count == 0, $"{file}: {document["kind"]} {document["metadata"]!["name"]}:\n" + string.Join("\n", errors));
        }
    }

    [Fact]
    public void The_samples_cover_blob_with_workload_identity_s3_with_keys_an_app_binding_retention_and_a_restore()
    {
        var objects = Manifests.Samples.SelectMany(f => KubernetesYaml.LoadAllFromString(File.ReadAllText(f), Manifests.TypeMap)).ToList();
        var secrets = objects.OfType<V1Secret>().ToDictionary(s => s.Metadata.Name);
        var repositories = objects.OfType<Repository>().ToList();

        var blob = Assert.Single(repositories, r => r.Spec.Backend.Azure is not null);
        var blobSecret = secrets[blob.Spec.Backend.StorageSecretName!];
        Assert.Equal(["RESTIC_PASSWORD"], blobSecret.StringData.Keys);
        var s3 = Assert.Single(repositories, r => r.Spec.Backend.S3 is not null);
        Assert.Contains("AWS_SECRET_ACCESS_KEY", secrets[s3.Spec.Backend.StorageSecretName!].StringData.Keys);
        var binding = Assert.Single(objects.OfType<AppBinding>());
        Assert.Contains(binding.Spec.Secret!.Name, secrets.Keys);
        var configuration = Assert.Single(objects.OfType<BackupConfiguration>());
        Assert.NotNull(configuration.Spec.RetentionPolicy);
        Assert.Contains(configuration.Spec.Repository.Name, repositories.Select(r => r.Name));
        Assert.Equal(binding.Name, configuration.Spec.Target.Ref.Name);
        var restore = Assert.Single(objects.OfType<RestoreSession>());
        Assert.Contains(restore.Spec.Repository.Name, repositories.Select(r => r.Name));
        Assert.Empty(ResourceValidation.Validate(configuration));
    }

    [Fact]
    public void The_schema_check_finds_a_misspelt_field_a_wrong_type_a_missing_required_field_and_a_bad_enum()
    {
        var schema = SchemaOf(Api.ApiVersion, "BackupConfiguration");
        var broken = JsonNode.Parse("""
            {"apiVersion":"backup.serverless.dev/v1alpha1","kind":"BackupConfiguration","metadata":{"name":"x"},
             "spec":{"schedule":"0 1 * * *","repository":{"name":"r"},"target":{"ref":{"kind":"Database"}},
                     "retentionPolicy":{"keepLast":"3","keepDialy":7},"backupHistoryLimit":-1}}
            """)!;

        var errors = SchemaValidator.Validate(broken, schema);

        Assert.Contains(errors, e => e.StartsWith("spec.target.ref.name: required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("spec.target.ref.kind: \"Database\" is not one of", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("spec.retentionPolicy.keepLast: expected integer", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("spec.retentionPolicy.keepDialy: unknown field", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("spec.backupHistoryLimit: -1 is below the minimum", StringComparison.Ordinal));
    }

    [Fact]
    public void The_schema_takes_any_database_name_of_64_characters_and_refuses_longer_or_empty_ones()
    {
        var schema = SchemaOf(Api.ApiVersion, "RestoreSession");
        var snowmen = new string('☃', 64);
        var tooLong = new string('x', 65);
        var restore = JsonNode.Parse(
            """{"apiVersion":"backup.serverless.dev/v1alpha1","kind":"RestoreSession","metadata":{"name":"x"},"spec":{"repository":{"name":"r"},"target":{"ref":{"name":"db"}},"overwrite":true,"databases":["weird db ☃", "SNOWMEN", ""],"rename":{"weird db ☃":"TOOLONG"}}}"""
                .Replace("SNOWMEN", snowmen, StringComparison.Ordinal).Replace("TOOLONG", tooLong, StringComparison.Ordinal))!;

        var errors = SchemaValidator.Validate(restore, schema);

        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("spec.databases[2]: '' is shorter than 1 characters", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("is longer than 64 characters", StringComparison.Ordinal));
    }

    [Fact]
    public void The_runner_service_account_is_the_one_jobs_use_has_no_token_and_no_role_binding()
    {
        var objects = Manifests.All.SelectMany(f => KubernetesYaml.LoadAllFromString(File.ReadAllText(f), Manifests.TypeMap)).ToList();
        var runnerAccount = new RunnerJobOptions { Image = "x" }.ServiceAccountName;

        var account = Assert.Single(objects.OfType<V1ServiceAccount>(), a => a.Metadata.Name == runnerAccount);
        Assert.False(account.AutomountServiceAccountToken);
        Assert.True(account.Metadata.Annotations.ContainsKey("azure.workload.identity/client-id"));
        var subjects = objects.OfType<V1RoleBinding>().SelectMany(b => b.Subjects ?? [])
            .Concat(objects.OfType<V1ClusterRoleBinding>().SelectMany(b => b.Subjects ?? []));
        Assert.DoesNotContain(subjects, s => s.Kind == "ServiceAccount" && s.Name == runnerAccount);
    }

    [Fact]
    public void There_is_a_crd_for_every_kind_the_app_reads_or_writes_including_app_binding()
    {
        var crds = Manifests.Crds.SelectMany(f => KubernetesYaml.LoadAllFromString(File.ReadAllText(f))).OfType<V1CustomResourceDefinition>().ToList();

        foreach (var type in Manifests.TypeMap.Keys)
        {
            Assert.Contains(crds, c => $"{c.Spec.Group}/{c.Spec.Versions.Single(v => v.Storage).Name}/{c.Spec.Names.Kind}" == type);
        }
    }

    /// <summary>The openAPIV3Schema of the served version of a kind, from infra/k8s/crds.</summary>
    public static JsonObject SchemaOf(string apiVersion, string kind)
    {
        foreach (var crd in Manifests.Crds.SelectMany(YamlDocuments.Load))
        {
            var spec = crd["spec"]!;
            if (spec["names"]!["kind"]!.GetValue<string>() != kind)
            {
                continue;
            }
            foreach (var version in spec["versions"]!.AsArray())
            {
                if ($"{spec["group"]!.GetValue<string>()}/{version!["name"]!.GetValue<string>()}" == apiVersion && version["served"]!.GetValue<bool>())
                {
                    return version["schema"]!["openAPIV3Schema"]!.AsObject();
                }
            }
        }
        throw new InvalidOperationException($"no CRD in infra/k8s/crds serves {apiVersion} {kind}");
    }
}
