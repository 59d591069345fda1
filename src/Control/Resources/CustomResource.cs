using System.Text.Json.Serialization;
using k8s;
using k8s.Models;
using YamlDotNet.Serialization;

using Serverless.Backup.Core;

namespace Serverless.Backup.Control.Resources;

/// <summary>
/// A custom resource with a spec and a status, readable and writable by KubernetesClient (camelCase JSON) and
/// by the folder store (the same YAML documents).
/// </summary>
public abstract class CustomResource<TSpec, TStatus> : IKubernetesObject<V1ObjectMeta>
    where TSpec : new()
{
    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = "";
    [JsonPropertyName("kind")] public string Kind { get; set; } = "";
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    [JsonPropertyName("spec")] public TSpec Spec { get; set; } = new();
    [JsonPropertyName("status")] public TStatus? Status { get; set; }

    [JsonIgnore, YamlIgnore] public string Name => Metadata.Name;
    [JsonIgnore, YamlIgnore] public string Namespace => Metadata.NamespaceProperty ?? "default";
}

/// <summary>Where a resource type lives in the API.</summary>
public sealed record ResourceType(string Group, string Version, string Kind, string Plural, bool Namespaced = true)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public static readonly ResourceType Repository = new(Api.Group, Api.Version, "Repository", "repositories");
    public static readonly ResourceType BackupConfiguration = new(Api.Group, Api.Version, "BackupConfiguration", "backupconfigurations");
    public static readonly ResourceType BackupSession = new(Api.Group, Api.Version, "BackupSession", "backupsessions");
    public static readonly ResourceType RestoreSession = new(Api.Group, Api.Version, "RestoreSession", "restoresessions");
    public static readonly ResourceType MaintenanceSession = new(Api.Group, Api.Version, "MaintenanceSession", "maintenancesessions");
    public static readonly ResourceType AppBinding = new("appcatalog.appscode.com", "v1alpha1", "AppBinding", "appbindings");
}

/// <summary>The API group and version of this system's resources.</summary>
public static class Api
{
    public const string Group = "backup.serverless.dev";
    public const string Version = "v1alpha1";
    public const string ApiVersion = Group + "/" + Version;

    /// <summary>Labels on sessions, Jobs and Secrets.</summary>
    public const string ConfigurationLabel = Group + "/configuration";
    public const string SessionLabel = Group + "/session";
    public const string RepositoryLabel = Group + "/repository";
    public const string KindLabel = Group + "/kind";
}
