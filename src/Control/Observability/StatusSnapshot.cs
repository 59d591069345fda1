using Serverless.Backup.Control.Resources;

namespace Serverless.Backup.Control.Observability;

/// <summary>The resources the status-derived metrics are computed from, as listed for one scrape.</summary>
/// <param name="Backups">The BackupSessions (the figures of each configuration's newest successful backup), when listed.</param>
public sealed record StatusSnapshot(
    IReadOnlyList<BackupConfiguration> Configurations,
    IReadOnlyList<Repository> Repositories,
    IReadOnlyList<SessionPhaseEntry> Sessions,
    IReadOnlyList<Cluster.InvalidResource>? Invalid = null,
    IReadOnlyList<BackupSession>? Backups = null);
