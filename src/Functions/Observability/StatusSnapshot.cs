using Serverless.Backup.Core.Resources;

namespace Serverless.Backup.Functions.Observability;

/// <summary>The resources the status-derived metrics are computed from, as listed for one scrape.</summary>
public sealed record StatusSnapshot(
    IReadOnlyList<BackupConfiguration> Configurations,
    IReadOnlyList<Repository> Repositories,
    IReadOnlyList<SessionPhaseEntry> Sessions,
    IReadOnlyList<Cluster.InvalidResource>? Invalid = null);
