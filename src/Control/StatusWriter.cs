using k8s;
using k8s.Models;
using Serverless.Backup.Control.Cluster;

namespace Serverless.Backup.Control;

/// <summary>Status writes that survive concurrent writers: on a conflict, read again, re-apply, write again.</summary>
public static class StatusWriter
{
    /// <summary>
    /// Applies <paramref name="change"/> to the latest version of the object and writes its status. The change
    /// returns false to write nothing (for example when the phase may not move). Returns the object as written,
    /// or null when it does not exist (anymore) or the change declined.
    /// </summary>
    public static async Task<T?> UpdateAsync<T>(IClusterGateway cluster, T resource, Func<T, bool> change, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>, new()
    {
        var current = resource;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            if (attempt > 1)
            {
                // Writers that collide again back off apart (random, growing), so that one of them gets through.
                await Task.Delay(Random.Shared.Next(5, 20 << Math.Min(attempt, 5)), cancellationToken);
            }
            if (!change(current))
            {
                return null;
            }
            try
            {
                return await cluster.ReplaceStatusAsync(current, cancellationToken);
            }
            catch (ConflictException)
            {
                var fresh = await cluster.GetAsync<T>(current.Metadata.NamespaceProperty ?? "default", current.Metadata.Name, cancellationToken);
                if (fresh is null)
                {
                    return null;
                }
                current = fresh;
            }
        }
        throw new ConflictException($"{typeof(T).Name} {resource.Metadata.NamespaceProperty}/{resource.Metadata.Name} kept changing while its status was written ({MaxAttempts} attempts): the next run writes it again");
    }

    /// <summary>Tries of one status write; each conflict re-reads the object, and the change decides again.</summary>
    public const int MaxAttempts = 12;
}
