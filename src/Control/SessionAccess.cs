using k8s;
using k8s.Models;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Cluster;

namespace Serverless.Backup.Control;

/// <summary>
/// What the control plane reads and writes the same way on the three session kinds (BackupSession,
/// RestoreSession, MaintenanceSession): their status, their repository, their kind.
/// </summary>
public static class SessionAccess
{
    public static SessionStatus? StatusOf(IKubernetesObject<V1ObjectMeta> session) => session switch
    {
        BackupSession b => b.Status,
        RestoreSession r => r.Status,
        MaintenanceSession m => m.Status,
        _ => throw new NotSupportedException($"{session.GetType().Name} is not a session"),
    };

    public static string KindOf(IKubernetesObject<V1ObjectMeta> session) => session switch
    {
        BackupSession => ResourceType.BackupSession.Kind,
        RestoreSession => ResourceType.RestoreSession.Kind,
        MaintenanceSession => ResourceType.MaintenanceSession.Kind,
        _ => throw new NotSupportedException($"{session.GetType().Name} is not a session"),
    };

    public static string NamespaceOf(IKubernetesObject<V1ObjectMeta> session) => session.Metadata.NamespaceProperty ?? "default";

    /// <summary>The Repository a session works on: the label the control plane sets, else the spec's reference.</summary>
    public static string? RepositoryOf(IKubernetesObject<V1ObjectMeta> session) =>
        session.Metadata.Labels is { } labels && labels.TryGetValue(Api.RepositoryLabel, out var label) && label.Length > 0
            ? label
            : session switch
            {
                RestoreSession r => r.Spec.Repository.Name,
                MaintenanceSession m => m.Spec.Repository.Name,
                _ => null,
            };

    /// <summary>The BackupConfiguration a session belongs to, if any.</summary>
    public static string? ConfigurationOf(IKubernetesObject<V1ObjectMeta> session) =>
        session.Metadata.Labels is { } labels && labels.TryGetValue(Api.ConfigurationLabel, out var label) && label.Length > 0
            ? label
            : session switch
            {
                BackupSession b => b.Spec.Invoker.Name,
                MaintenanceSession m => m.Spec.Configuration,
                _ => null,
            };

    /// <summary>
    /// Writes a session's status through <see cref="StatusWriter"/> (conflicts re-read and re-applied).
    /// <paramref name="change"/> gets the latest status and returns the new one, or null to write nothing.
    /// True when written.
    /// </summary>
    public static async Task<bool> UpdateStatusAsync(IClusterGateway cluster, IKubernetesObject<V1ObjectMeta> session, Func<SessionStatus?, SessionStatus?> change, CancellationToken cancellationToken) => session switch
    {
        BackupSession b => await StatusWriter.UpdateAsync(cluster, b, s => Apply(change(s.Status), st => s.Status = st), cancellationToken) is not null,
        RestoreSession r => await StatusWriter.UpdateAsync(cluster, r, s => Apply(change(s.Status), st => s.Status = st), cancellationToken) is not null,
        MaintenanceSession m => await StatusWriter.UpdateAsync(cluster, m, s => Apply(change(s.Status), st => s.Status = st), cancellationToken) is not null,
        _ => throw new NotSupportedException($"{session.GetType().Name} is not a session"),
    };

    private static bool Apply(SessionStatus? next, Action<SessionStatus> set)
    {
        if (next is null)
        {
            return false;
        }
        set(next);
        return true;
    }
}
