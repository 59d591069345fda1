using System.Collections.Concurrent;
using k8s;
using k8s.Models;

namespace Serverless.Backup.Functions.Cluster;

/// <summary>
/// The cluster as a folder: <c>{root}/{namespace}/{plural}/{name}.yaml</c>, the same YAML documents kubectl
/// would apply. Sessions and their status are written back there, so they survive a restart. Jobs run as local
/// runner processes (<see cref="LocalJobRunner"/>). The API's semantics are kept: creates refuse existing names,
/// status writes check resourceVersion, deletes remove what the object owns.
/// </summary>
public sealed class FolderGateway(string root, LocalJobRunner jobs) : IClusterGateway
{
    private readonly SemaphoreSlim _lock = new(1, 1);

    private string PathOf(string @namespace, string plural, string name) => Path.Combine(root, @namespace, plural, name + ".yaml");

    public async Task<T?> GetAsync<T>(string @namespace, string name, CancellationToken cancellationToken) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        var path = PathOf(@namespace, ResourceTypes.Of<T>().Plural, name);
        return File.Exists(path) ? Read<T>(await File.ReadAllTextAsync(path, cancellationToken), path) : null;
    }

    public async Task<IReadOnlyList<T>> ListAsync<T>(string? @namespace, IReadOnlyDictionary<string, string>? labels, CancellationToken cancellationToken) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        var plural = ResourceTypes.Of<T>().Plural;
        var result = new List<T>();
        if (!Directory.Exists(root))
        {
            return result;
        }
        var namespaces = @namespace is null ? Directory.GetDirectories(root) : [Path.Combine(root, @namespace)];
        foreach (var folder in namespaces.Select(n => Path.Combine(n, plural)).Where(Directory.Exists))
        {
            foreach (var file in Directory.GetFiles(folder, "*.yaml"))
            {
                var item = Read<T>(await File.ReadAllTextAsync(file, cancellationToken), file);
                if (labels is null || labels.All(l => item.Metadata.Labels?.TryGetValue(l.Key, out var v) == true && v == l.Value))
                {
                    result.Add(item);
                }
            }
        }
        return result;
    }

    public async Task<bool> TryCreateAsync<T>(T resource, CancellationToken cancellationToken) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        var type = ResourceTypes.Of<T>();
        var path = PathOf(resource.Metadata.NamespaceProperty ?? "default", type.Plural, resource.Metadata.Name);
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (File.Exists(path))
            {
                return false;
            }
            resource.Metadata.Uid ??= Guid.NewGuid().ToString();
            resource.Metadata.ResourceVersion = "1";
            resource.Metadata.CreationTimestamp ??= DateTime.UtcNow;
            resource.Metadata.NamespaceProperty ??= "default";
            await WriteAsync(path, resource, cancellationToken);
            return true;
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task<T> ReplaceStatusAsync<T>(T resource, CancellationToken cancellationToken) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        var type = ResourceTypes.Of<T>();
        var path = PathOf(resource.Metadata.NamespaceProperty ?? "default", type.Plural, resource.Metadata.Name);
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (!File.Exists(path))
            {
                throw new ConflictException($"{type.Kind} {resource.Metadata.NamespaceProperty}/{resource.Metadata.Name} no longer exists");
            }
            var current = Read<T>(await File.ReadAllTextAsync(path, cancellationToken), path);
            if (current.Metadata.ResourceVersion != resource.Metadata.ResourceVersion)
            {
                throw new ConflictException($"{type.Kind} {resource.Metadata.Name} changed (resourceVersion {current.Metadata.ResourceVersion}, not {resource.Metadata.ResourceVersion})");
            }
            // The status subresource: only the status changes, whatever the caller did to the spec.
            var status = typeof(T).GetProperty("Status");
            status?.SetValue(current, status.GetValue(resource));
            current.Metadata.ResourceVersion = (long.Parse(current.Metadata.ResourceVersion ?? "0", System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await WriteAsync(path, current, cancellationToken);
            return current;
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task<bool> DeleteAsync<T>(string @namespace, string name, CancellationToken cancellationToken) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        var path = PathOf(@namespace, ResourceTypes.Of<T>().Plural, name);
        if (!File.Exists(path))
        {
            return false;
        }
        var resource = Read<T>(await File.ReadAllTextAsync(path, cancellationToken), path);
        File.Delete(path);
        // Owner references: what the session owns goes with it.
        foreach (var plural in new[] { "jobs", "secrets" })
        {
            var folder = Path.Combine(root, @namespace, plural);
            if (!Directory.Exists(folder))
            {
                continue;
            }
            foreach (var file in Directory.GetFiles(folder, "*.yaml"))
            {
                var text = await File.ReadAllTextAsync(file, cancellationToken);
                if (resource.Metadata.Uid is { } uid && text.Contains(uid, StringComparison.Ordinal))
                {
                    File.Delete(file);
                }
            }
        }
        return true;
    }

    public async Task<bool> TryCreateSecretAsync(V1Secret secret, CancellationToken cancellationToken)
    {
        var path = PathOf(secret.Metadata.NamespaceProperty ?? "default", "secrets", secret.Metadata.Name);
        if (File.Exists(path))
        {
            return false;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, KubernetesYaml.Serialize(secret), cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return true;
    }

    /// <summary>A Secret's values (stringData or base64 data), for resolving a Job's secretKeyRefs.</summary>
    public IReadOnlyDictionary<string, string>? ReadSecret(string @namespace, string name)
    {
        var path = PathOf(@namespace, "secrets", name);
        if (!File.Exists(path))
        {
            return null;
        }
        var secret = KubernetesYaml.Deserialize<V1Secret>(File.ReadAllText(path));
        var values = new Dictionary<string, string>(secret.StringData ?? new Dictionary<string, string>());
        foreach (var (key, value) in secret.Data ?? new Dictionary<string, byte[]>())
        {
            values[key] = System.Text.Encoding.UTF8.GetString(value);
        }
        return values;
    }

    public async Task<bool> TryCreateJobAsync(V1Job job, CancellationToken cancellationToken)
    {
        var path = PathOf(job.Metadata.NamespaceProperty ?? "default", "jobs", job.Metadata.Name);
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (File.Exists(path))
            {
                return false;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, KubernetesYaml.Serialize(job), cancellationToken);
        }
        finally
        {
            _lock.Release();
        }
        jobs.Start(job, (ns, name) => ReadSecret(ns, name), state => File.WriteAllText(path + ".state", $"{state.Outcome}\n{state.Reason}\n{state.Message}"));
        return true;
    }

    public Task<JobState?> GetJobAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        var path = PathOf(@namespace, "jobs", name);
        if (jobs.State(@namespace, name) is { } live)
        {
            return Task.FromResult<JobState?>(live);
        }
        if (File.Exists(path + ".state"))
        {
            var lines = File.ReadAllLines(path + ".state");
            return Task.FromResult<JobState?>(new JobState(Enum.Parse<JobOutcome>(lines[0]), NullIfEmpty(lines.ElementAtOrDefault(1)), NullIfEmpty(lines.ElementAtOrDefault(2))));
        }
        // A Job file whose process this app instance never ran: the app restarted while it ran, so it is gone.
        return Task.FromResult<JobState?>(File.Exists(path)
            ? new JobState(JobOutcome.Failed, "JobDisappeared", "the runner process ended with the app that started it")
            : null);
    }

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    private static T Read<T>(string yaml, string path) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        try
        {
            return KubernetesYaml.Deserialize<T>(yaml);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidDataException($"{path} is not a valid {typeof(T).Name} ({e.Message}): fix the document", e);
        }
    }

    private static async Task WriteAsync<T>(string path, T resource, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        await File.WriteAllTextAsync(temp, KubernetesYaml.Serialize(resource), cancellationToken);
        File.Move(temp, path, overwrite: true);
    }
}
