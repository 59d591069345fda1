using Serverless.Backup.Control.Resources;

namespace Serverless.Backup.Control.Observability;

/// <summary>The resources the status-derived metrics are computed from, as listed for one scrape.</summary>
public sealed record StatusSnapshot(
    IReadOnlyList<BackupConfiguration> Configurations,
    IReadOnlyList<Repository> Repositories,
    IReadOnlyList<SessionPhaseEntry> Sessions,
    IReadOnlyList<Cluster.InvalidResource>? Invalid = null);
