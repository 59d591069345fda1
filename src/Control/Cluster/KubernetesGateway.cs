using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Serverless.Backup.Control.Observability;

namespace Serverless.Backup.Control.Cluster;

/// <summary>
/// The gateway over the Kubernetes API with the real KubernetesClient: custom objects for the resources, the
/// status subresource for status writes, batch/v1 Jobs, v1 Secrets, and the Job's pod for its termination message.
/// Errors are told apart by status code (404 is null or false, 409 is false or <see cref="ConflictException"/>).
/// </summary>
public sealed class KubernetesGateway(IKubernetes kubernetes, ControlPlaneMetrics? metrics = null) : IClusterGateway
{
    /// <summary>
    /// Counts a failed call (api_server_errors_total) other than the 404 and 409 the callers expect, which are
    /// caught before this filter runs. Always false: the exception goes on to the caller unchanged.
    /// </summary>
    private bool Unexpected(Exception e)
    {
        switch (e)
        {
            case HttpOperationException http:
                metrics?.ApiServerError((int)http.Response.StatusCode);
                break;
            case HttpRequestException:
                metrics?.ApiServerError(0);
                break;
        }
        return false;
    }

    public async Task<T?> GetAsync<T>(string @namespace, string name, CancellationToken cancellationToken) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        var type = ResourceTypes.Of<T>();
        try
        {
            var resource = await kubernetes.CustomObjects.GetNamespacedCustomObjectAsync<T>(type.Group, type.Version, @namespace, type.Plural, name, cancellationToken);
            if (Serverless.Backup.Control.Resources.RequiredFields.FirstNull(resource) is { } field)
            {
                throw new InvalidResourceException(new InvalidResource(type.Kind, @namespace, name, $"{field} is null: write the field out, or leave it away for its default"));
            }
            return resource;
        }
        catch (JsonException e)
        {
            throw new InvalidResourceException(new InvalidResource(type.Kind, @namespace, name, $"cannot be read ({e.Message}): correct the resource so that it matches the CRD in infra/k8s/crds"));
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (Exception e) when (Unexpected(e))
        {
            throw;
        }
    }

    public async Task<ResourceListing<T>> ListAsync<T>(string? @namespace, IReadOnlyDictionary<string, string>? labels, CancellationToken cancellationToken) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        var type = ResourceTypes.Of<T>();
        var selector = labels is { Count: > 0 } ? string.Join(",", labels.Select(kv => $"{kv.Key}={kv.Value}")) : null;
        ResourceList<JsonElement> list;
        try
        {
            // Items as raw JSON, read one by one: a resource the model cannot read (a CRD without a schema lets
            // anything in) is reported on its own instead of failing the list for every other resource.
            list = @namespace is null
                ? await kubernetes.CustomObjects.ListClusterCustomObjectAsync<ResourceList<JsonElement>>(type.Group, type.Version, type.Plural, labelSelector: selector, cancellationToken: cancellationToken)
                : await kubernetes.CustomObjects.ListNamespacedCustomObjectAsync<ResourceList<JsonElement>>(type.Group, type.Version, @namespace, type.Plural, labelSelector: selector, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (Unexpected(e))
        {
            throw;
        }
        var items = new List<T>();
        var unreadable = new List<InvalidResource>();
        foreach (var item in list.Items)
        {
            try
            {
                var resource = KubernetesJson.Deserialize<T>(item.GetRawText());
                if (Serverless.Backup.Control.Resources.RequiredFields.FirstNull(resource) is { } field)
                {
                    throw new JsonException($"{field} is null");
                }
                items.Add(resource);
            }
            catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException or FormatException or OverflowException)
            {
                var metadata = item.ValueKind == JsonValueKind.Object && item.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
                unreadable.Add(new InvalidResource(type.Kind, Text(metadata, "namespace") ?? @namespace ?? "", Text(metadata, "name") ?? "",
                    $"cannot be read ({e.Message}): correct the resource so that it matches the CRD in infra/k8s/crds"));
            }
        }
        return new ResourceListing<T>(items, unreadable);

        static string? Text(JsonElement element, string property) =>
            element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    public async Task<bool> TryCreateAsync<T>(T resource, CancellationToken cancellationToken) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        var type = ResourceTypes.Of<T>();
        resource.ApiVersion = type.ApiVersion;
        resource.Kind = type.Kind;
        try
        {
            var created = await kubernetes.CustomObjects.CreateNamespacedCustomObjectAsync<T>(resource, type.Group, type.Version, resource.Metadata.NamespaceProperty ?? "default", type.Plural, cancellationToken: cancellationToken);
            resource.Metadata.Uid = created.Metadata.Uid;
            resource.Metadata.ResourceVersion = created.Metadata.ResourceVersion;
            resource.Metadata.CreationTimestamp = created.Metadata.CreationTimestamp;
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            return false;
        }
        catch (Exception e) when (Unexpected(e))
        {
            throw;
        }
    }

    public async Task<T> ReplaceStatusAsync<T>(T resource, CancellationToken cancellationToken) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        var type = ResourceTypes.Of<T>();
        resource.ApiVersion = type.ApiVersion;
        resource.Kind = type.Kind;
        try
        {
            var stored = await kubernetes.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync<T>(resource, type.Group, type.Version, resource.Metadata.NamespaceProperty ?? "default", type.Plural, resource.Metadata.Name, cancellationToken: cancellationToken);
            resource.Metadata.ResourceVersion = stored.Metadata.ResourceVersion;
            return stored;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            throw new ConflictException($"{type.Kind} {resource.Metadata.NamespaceProperty}/{resource.Metadata.Name} changed since it was read: read it again and retry");
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new ConflictException($"{type.Kind} {resource.Metadata.NamespaceProperty}/{resource.Metadata.Name} was deleted since it was read");
        }
        catch (Exception e) when (Unexpected(e))
        {
            throw;
        }
    }

    public async Task<bool> DeleteAsync<T>(string @namespace, string name, CancellationToken cancellationToken) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        var type = ResourceTypes.Of<T>();
        try
        {
            // Background propagation: the garbage collector removes the session's Job, its pod and its Secret.
            await kubernetes.CustomObjects.DeleteNamespacedCustomObjectAsync(type.Group, type.Version, @namespace, type.Plural, name, propagationPolicy: "Background", cancellationToken: cancellationToken);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        catch (Exception e) when (Unexpected(e))
        {
            throw;
        }
    }

    public async Task<bool> TryCreateSecretAsync(V1Secret secret, CancellationToken cancellationToken)
    {
        try
        {
            await kubernetes.CoreV1.CreateNamespacedSecretAsync(secret, secret.Metadata.NamespaceProperty ?? "default", cancellationToken: cancellationToken);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            return false;
        }
        catch (Exception e) when (Unexpected(e))
        {
            throw;
        }
    }

    public async Task<bool> JobOwnedByAsync(string @namespace, string name, string uid, CancellationToken cancellationToken)
    {
        try
        {
            var job = await kubernetes.BatchV1.ReadNamespacedJobAsync(name, @namespace, cancellationToken: cancellationToken);
            return job.Metadata.OwnerReferences?.Any(o => o.Uid == uid) == true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        catch (Exception e) when (Unexpected(e))
        {
            throw;
        }
    }

    public async Task<bool> TryCreateJobAsync(V1Job job, CancellationToken cancellationToken)
    {
        try
        {
            await kubernetes.BatchV1.CreateNamespacedJobAsync(job, job.Metadata.NamespaceProperty ?? "default", cancellationToken: cancellationToken);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            return false;
        }
        catch (Exception e) when (Unexpected(e))
        {
            throw;
        }
    }

    public async Task<JobState?> GetJobAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        V1Job job;
        try
        {
            job = await kubernetes.BatchV1.ReadNamespacedJobAsync(name, @namespace, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (Exception e) when (Unexpected(e))
        {
            throw;
        }
        var conditions = job.Status?.Conditions ?? [];
        if (job.Status?.Succeeded is > 0 || conditions.Any(c => c.Type == "Complete" && c.Status == "True"))
        {
            return new JobState(JobOutcome.Succeeded);
        }
        var failed = conditions.FirstOrDefault(c => c.Type == "Failed" && c.Status == "True");
        if (failed is null && job.Status?.Failed is not > 0)
        {
            return await PodThatCannotStartAsync(@namespace, name, cancellationToken) ?? new JobState(JobOutcome.Running);
        }
        return new JobState(JobOutcome.Failed, failed?.Reason ?? "BackoffLimitExceeded", await TerminationMessageAsync(@namespace, name, cancellationToken) ?? failed?.Message);
    }

    /// <summary>
    /// Waiting reasons of a container that will not start without a change by a person: a missing Secret or key
    /// (CreateContainerConfigError), or an image that cannot be had. The Job itself never fails for these (the
    /// kubelet keeps retrying), so without this check the session would sit in Running until its deadline.
    /// </summary>
    private static readonly HashSet<string> CannotStart = ["CreateContainerConfigError", "InvalidImageName", "ImagePullBackOff", "ErrImageNeverPull"];

    /// <summary>A Failed state when the Job's pod cannot start, with the kubelet's reason and message; else null.</summary>
    private async Task<JobState?> PodThatCannotStartAsync(string @namespace, string job, CancellationToken cancellationToken)
    {
        V1PodList pods;
        try
        {
            pods = await kubernetes.CoreV1.ListNamespacedPodAsync(@namespace, labelSelector: $"job-name={job}", cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
        {
            return null;
        }
        var waiting = pods.Items
            .SelectMany(p => p.Status?.ContainerStatuses ?? [])
            .Select(s => s.State?.Waiting)
            .FirstOrDefault(w => w?.Reason is { } reason && CannotStart.Contains(reason));
        if (waiting is null)
        {
            return null;
        }
        var fix = waiting.Reason == "CreateContainerConfigError"
            ? "create the Secret or key, or correct the Repository's spec.backend.storageSecretName or the AppBinding's spec.secret.name"
            : "correct the runner image (the app setting BACKUP_RUNNER_IMAGE) or the cluster's access to its registry";
        return new JobState(JobOutcome.Failed, waiting.Reason, $"the runner's pod cannot start: {waiting.Message ?? waiting.Reason}: {fix}");
    }

    /// <summary>The runner's last words (terminationMessagePolicy FallbackToLogsOnError), from the Job's pod.</summary>
    private async Task<string?> TerminationMessageAsync(string @namespace, string job, CancellationToken cancellationToken)
    {
        try
        {
            var pods = await kubernetes.CoreV1.ListNamespacedPodAsync(@namespace, labelSelector: $"job-name={job}", cancellationToken: cancellationToken);
            return pods.Items
                .SelectMany(p => p.Status?.ContainerStatuses ?? [])
                .Select(s => s.State?.Terminated?.Message)
                .FirstOrDefault(m => !string.IsNullOrWhiteSpace(m))?.Trim();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
        {
            return null;
        }
    }
}
