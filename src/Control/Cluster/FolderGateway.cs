using System.Collections.Concurrent;
using k8s;
using k8s.Models;

namespace Serverless.Backup.Control.Cluster;

/// <summary>
/// The cluster as a folder: <c>{root}/{namespace}/{plural}/{name}.yaml</c>, the same YAML documents kubectl
/// would apply. Sessions and their status are written back there, so they survive a restart. Jobs run as local
/// runner processes (<see cref="LocalJobRunner"/>). The API's semantics are kept: creates refuse existing names,
/// status writes check resourceVersion, deletes remove what the object owns.
/// </summary>
public sealed class FolderGateway(string root, LocalJobRunner jobs) : IClusterGateway
{
    private readonly FolderLock _lock = new(root);

    private string PathOf(string @namespace, string plural, string name) => Path.Combine(root, @namespace, plural, name + ".yaml");

    public async Task<T?> GetAsync<T>(string @namespace, string name, CancellationToken cancellationToken) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        var path = PathOf(@namespace, ResourceTypes.Of<T>().Plural, name);
        return File.Exists(path) ? await Task.Run(() => ReadValid<T>(path, @namespace), cancellationToken) : null;
    }

    public async Task<ResourceListing<T>> ListAsync<T>(string? @namespace, IReadOnlyDictionary<string, string>? labels, CancellationToken cancellationToken) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        var type = ResourceTypes.Of<T>();
        var result = new List<T>();
        var unreadable = new List<InvalidResource>();
        if (!Directory.Exists(root))
        {
            return new ResourceListing<T>(result, unreadable);
        }
        var namespaces = @namespace is null ? Directory.GetDirectories(root) : [Path.Combine(root, @namespace)];
        foreach (var folder in namespaces)
        {
            var files = Path.Combine(folder, type.Plural);
            if (!Directory.Exists(files))
            {
                continue;
            }
            var ns = Path.GetFileName(folder);
            foreach (var file in Directory.GetFiles(files))
            {
                cancellationToken.ThrowIfCancellationRequested();
                // What is not read is said: a namespace the API would refuse, a file the store would not read.
                var problem = !Core.Names.IsDnsLabel(ns) ? $"is in folder '{ns}', which is not a Kubernetes namespace name: move it into a folder named as a namespace (lower-case letters, digits, '-')"
                    : file.EndsWith(".yaml", StringComparison.Ordinal) ? null
                    : file.EndsWith(".tmp", StringComparison.Ordinal) ? ""
                    : $"is not read: resource files end in .yaml (rename it to {Path.GetFileNameWithoutExtension(file)}.yaml)";
                if (problem is not null)
                {
                    if (problem.Length > 0)
                    {
                        unreadable.Add(new InvalidResource(type.Kind, ns, Path.GetFileNameWithoutExtension(file), $"{Path.GetFileName(file)}: {problem}"));
                    }
                    continue;
                }
                // Each file on its own: one that cannot be read is reported and the others are listed as usual.
                T? item;
                InvalidResource? invalid;
                try
                {
                    (item, invalid) = ResourceDocument.Read<T>(file, ns, type.Kind);
                }
                // Whatever goes wrong with one file (a bug included) stays with that file.
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    (item, invalid) = (null, new InvalidResource(type.Kind, ns, Path.GetFileNameWithoutExtension(file), $"{Path.GetFileName(file)}: could not be read ({e.GetType().Name}: {e.Message})"));
                }
                if (invalid is not null)
                {
                    unreadable.Add(invalid);
                }
                else if (labels is null || labels.All(l => item!.Metadata.Labels?.TryGetValue(l.Key, out var v) == true && v == l.Value))
                {
                    result.Add(item!);
                }
            }
        }
        return new ResourceListing<T>(result, unreadable);
    }

    public async Task<bool> TryCreateAsync<T>(T resource, CancellationToken cancellationToken) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        var type = ResourceTypes.Of<T>();
        var path = PathOf(resource.Metadata.NamespaceProperty ?? "default", type.Plural, resource.Metadata.Name);
        using (await _lock.TakeAsync(cancellationToken))
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
    }

    public async Task<T> ReplaceStatusAsync<T>(T resource, CancellationToken cancellationToken) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        var type = ResourceTypes.Of<T>();
        var path = PathOf(resource.Metadata.NamespaceProperty ?? "default", type.Plural, resource.Metadata.Name);
        using (await _lock.TakeAsync(cancellationToken))
        {
            if (!File.Exists(path))
            {
                throw new ConflictException($"{type.Kind} {resource.Metadata.NamespaceProperty}/{resource.Metadata.Name} no longer exists");
            }
            var current = ReadValid<T>(path, resource.Metadata.NamespaceProperty ?? "default");
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
    }

    public async Task<bool> DeleteAsync<T>(string @namespace, string name, CancellationToken cancellationToken) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        var path = PathOf(@namespace, ResourceTypes.Of<T>().Plural, name);
        using var held = await _lock.TakeAsync(cancellationToken);
        if (!File.Exists(path))
        {
            return false;
        }
        // A document that cannot be read can still be deleted; it owns nothing that can be found.
        var (resource, _) = ResourceDocument.Read<T>(path, @namespace, ResourceTypes.Of<T>().Kind);
        File.Delete(path);
        // Owner references: what the session owns goes with it, and only that. A Secret or Job counts as owned when
        // one of its metadata.ownerReferences names the deleted object's uid (never by a uid that is merely
        // somewhere in its text: a user's Secret could hold it).
        if (resource?.Metadata.Uid is not { Length: > 0 } uid)
        {
            return true;
        }
        foreach (var plural in new[] { "jobs", "secrets" })
        {
            var folder = Path.Combine(root, @namespace, plural);
            if (!Directory.Exists(folder))
            {
                continue;
            }
            foreach (var file in Directory.GetFiles(folder, "*.yaml"))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (OwnedBy(file, uid))
                {
                    File.Delete(file);
                    File.Delete(file + ".state");
                    File.Delete(file + ".owner");
                }
            }
        }
        return true;
    }

    public async Task<bool> TryCreateSecretAsync(V1Secret secret, CancellationToken cancellationToken)
    {
        var path = PathOf(secret.Metadata.NamespaceProperty ?? "default", "secrets", secret.Metadata.Name);
        // Under the folder lock, and whole or not at all: two instances starting one session write it once.
        using (await _lock.TakeAsync(cancellationToken))
        {
            if (File.Exists(path))
            {
                return false;
            }
            WriteText(path, KubernetesYaml.Serialize(secret), secret: true);
            return true;
        }
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
        using (await _lock.TakeAsync(cancellationToken))
        {
            if (File.Exists(path))
            {
                return false;
            }
            // Which app instance runs the Job, written before the Job so that a reader that sees the Job sees its
            // owner: another instance sharing the folder then takes it for running, not vanished.
            WriteText(path + ".owner", InstanceIdentity.Current, secret: false);
            WriteText(path, KubernetesYaml.Serialize(job), secret: false);
        }
        jobs.Start(job, (ns, name) => ReadSecret(ns, name), state => WriteText(path + ".state", $"{state.Outcome}\n{state.Reason}\n{state.Message}", secret: false));
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
            // A state file that is not ours (edited, cut short) still ends the Job: with a reason that says so.
            return Task.FromResult<JobState?>(lines.Length > 0 && Enum.TryParse<JobOutcome>(lines[0], ignoreCase: false, out var outcome) && Enum.IsDefined(outcome)
                ? new JobState(outcome, NullIfEmpty(lines.ElementAtOrDefault(1)), NullIfEmpty(lines.ElementAtOrDefault(2)))
                : new JobState(JobOutcome.Failed, "JobStateUnreadable", $"the Job's state file {Path.GetFileName(path)}.state cannot be read: the runner's outcome is unknown"));
        }
        if (!File.Exists(path))
        {
            return Task.FromResult<JobState?>(null);
        }
        // Another app instance sharing the folder runs it, as long as that instance lives.
        if (File.Exists(path + ".owner") && File.ReadAllText(path + ".owner") is var owner && owner != InstanceIdentity.Current && InstanceIdentity.IsAlive(owner))
        {
            return Task.FromResult<JobState?>(new JobState(JobOutcome.Running));
        }
        // A Job whose app instance is gone: its runner process ended with it.
        return Task.FromResult<JobState?>(new JobState(JobOutcome.Failed, "JobDisappeared", "the runner process ended with the app that started it"));
    }

    public Task<bool> JobOwnedByAsync(string @namespace, string name, string uid, CancellationToken cancellationToken)
    {
        var path = PathOf(@namespace, "jobs", name);
        return Task.FromResult(File.Exists(path) && OwnedBy(path, uid));
    }

    /// <summary>Whether a Job or Secret file names <paramref name="uid"/> in its metadata.ownerReferences.</summary>
    private static bool OwnedBy(string file, string uid)
    {
        var (owned, _) = ResourceDocument.Read<OwnedObject>(file, Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(file)))!, kind: null);
        return owned?.Metadata.OwnerReferences?.Any(o => o.Uid == uid) == true;
    }

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    /// <summary>A resource asked for by name: one that cannot be read is an <see cref="InvalidResourceException"/>.</summary>
    private static T ReadValid<T>(string path, string @namespace) where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        var (resource, invalid) = ResourceDocument.Read<T>(path, @namespace, ResourceTypes.Of<T>().Kind);
        return resource ?? throw new InvalidResourceException(invalid!);
    }

    /// <summary>
    /// Writes a file whole or not at all (a temporary file renamed over it), so a reader in another instance never
    /// sees half of it; a Secret's file is readable by its owner only.
    /// </summary>
    private static void WriteText(string path, string text, bool secret)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temp, text);
        if (secret && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        File.Move(temp, path, overwrite: true);
    }

    private static async Task WriteAsync<T>(string path, T resource, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        await File.WriteAllTextAsync(temp, KubernetesYaml.Serialize(resource), cancellationToken);
        File.Move(temp, path, overwrite: true);
    }
}
