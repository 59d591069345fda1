using System.Text.Json;
using k8s.Models;
using Serverless.Backup.Core;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Cluster;
using Serverless.Backup.Control.Observability;
using Serverless.Backup.Control.Settings;

namespace Serverless.Backup.Control;

/// <summary>
/// The HTTP functions over repositories: ListSnapshots (from Repository.status, without running restic),
/// StartMaintenance (a check, forget, unlock or verify session), and Metrics (Prometheus text, status-derived series
/// computed from the resources at scrape time).
/// </summary>
public sealed class RepositoryApi(IClusterGateway cluster, MaintenanceScheduler maintenance, ControlPlaneMetrics metrics, AppSettings settings, TimeProvider clock)
{
    public async Task<ApiResult> ListSnapshotsAsync(string ns, string name, string? configuration, string? database, CancellationToken cancellationToken)
    {
        if (!Names.IsDnsLabel(ns) || !Names.IsDnsSubdomain(name))
        {
            return ApiResult.Error(400, $"'{ns}/{name}' is not a valid namespace/name: use lower-case letters, digits and '-'");
        }
        var repository = await cluster.GetAsync<Repository>(ns, name, cancellationToken);
        if (repository is null)
        {
            return ApiResult.Error(404, $"Repository {ns}/{name} does not exist");
        }
        var status = repository.Status ?? new RepositoryStatus();
        // What the configurations' verifications proved (status.verifiedSnapshots; status.lastVerification for a
        // status written before that list existed).
        var configurations = await cluster.ListAsync<BackupConfiguration>(ns, null, cancellationToken);
        var proofs = configurations
            .Select(c => c.Status?.LastVerification)
            .Where(v => v is { Result: SessionPhase.Succeeded, SnapshotIds: not null, Time: not null })
            .SelectMany(v => v!.SnapshotIds!.Where(id => id is { Length: >= 8 }).Select(id => (Id: id, Time: v.Time!.Value)))
            .Concat(configurations.SelectMany(c => c.Status?.VerifiedSnapshots ?? [])
                .Where(v => v is { Id.Length: >= 8, Time: not null }).Select(v => (Id: v.Id!, Time: v.Time!.Value)))
            .ToList();
        var items = (status.RecentSnapshots ?? [])
            .Where(s => configuration is null || s.Configuration == configuration)
            .Where(s => database is null || s.Database == database)
            .OrderByDescending(s => s.Time)
            .Select(s =>
            {
                var proof = proofs.Where(p => s.Id is { Length: >= 8 } id && p.Id.Length >= 8 && (id.StartsWith(p.Id, StringComparison.Ordinal) || p.Id.StartsWith(id, StringComparison.Ordinal)))
                    .Select(p => (DateTimeOffset?)p.Time).Max();
                return new SnapshotItem(s.Id, s.Time, s.Database, s.Session, s.Configuration, s.Size, proof is not null, proof);
            })
            .ToList();
        return new ApiResult(200, new SnapshotList(ns, name, status.SnapshotCount, status.TotalSize, status.TotalSizeBytes, status.Integrity,
            status.IntegrityMessage, status.LastCheckTime, status.LastBackupTime, status.Updated, items));
    }

    public async Task<ApiResult> StartMaintenanceAsync(string ns, string name, byte[] body, CancellationToken cancellationToken)
    {
        MaintenanceRequest? request;
        try
        {
            request = body.Length == 0 ? null : JsonSerializer.Deserialize<MaintenanceRequest>(body, SessionApi.Json);
        }
        catch (JsonException e)
        {
            return ApiResult.Error(400, $"the body is not a valid maintenance request ({e.Message}): send {{\"task\": \"check\" | \"forget\" | \"unlock\" | \"verify\", \"readDataSubset\", \"configuration\"}}");
        }
        if (request is null)
        {
            return ApiResult.Error(400, "task: the body is empty: send {\"task\": \"check\"}, \"forget\" or \"verify\" (with \"configuration\"), or \"unlock\"");
        }
        if (!Names.IsDnsLabel(ns) || !Names.IsDnsSubdomain(name))
        {
            return ApiResult.Error(400, $"'{ns}/{name}' is not a valid namespace/name: use lower-case letters, digits and '-'");
        }
        var task = request.Task is { } t && MaintenanceTask.All.Contains(t) ? t : "maintenance";
        var sessionName = request.Name ?? Names.Bounded($"{name}-{task}-{clock.GetUtcNow().UtcDateTime:yyyyMMddHHmmss}", 63);
        var session = new MaintenanceSession
        {
            Metadata = new V1ObjectMeta { Name = sessionName, NamespaceProperty = ns },
            Spec = new MaintenanceSessionSpec
            {
                Repository = new ObjectReference { Name = name },
                Task = request.Task,
                ReadDataSubset = request.ReadDataSubset,
                Configuration = request.Configuration,
                TimeOut = request.TimeOut,
            },
        };
        var errors = ResourceValidation.Validate(session).Select(e => e.Replace("spec.", "", StringComparison.Ordinal).Replace("metadata.name", "name", StringComparison.Ordinal)).ToList();
        if (errors.Count > 0)
        {
            return ApiResult.Error(400, string.Join("; ", errors));
        }
        if (await cluster.GetAsync<Repository>(ns, name, cancellationToken) is null)
        {
            return ApiResult.Error(404, $"repository: Repository {ns}/{name} does not exist");
        }
        if (MaintenanceTask.NeedsConfiguration(request.Task))
        {
            var configuration = await cluster.GetAsync<BackupConfiguration>(ns, request.Configuration!, cancellationToken);
            if (configuration is null || ControlPlane.MaintenanceConfigurationProblem(request.Task, configuration, name) is not null)
            {
                return ApiResult.Error(422, $"configuration: BackupConfiguration {ns}/{request.Configuration} " + (configuration is null ? "does not exist"
                    : ControlPlane.MaintenanceConfigurationProblem(request.Task, configuration, name)));
            }
            if (ResourceValidation.Validate(configuration) is { Count: > 0 } invalid)
            {
                return ApiResult.Error(422, $"configuration: {string.Join("; ", invalid)}");
            }
            if (ControlPlane.FeatureProblemFor(request.Task, configuration) is { } feature)
            {
                return ApiResult.Error(422, $"configuration: {feature}");
            }
        }
        if (!await maintenance.CreateAsync(session, cancellationToken))
        {
            return ApiResult.Error(409, $"MaintenanceSession {ns}/{sessionName} exists already: choose another name");
        }
        return new ApiResult(202, new MaintenanceStarted(sessionName, ns, request.Task, SessionPhase.Pending),
            $"/api/sessions/{ns}/{ResourceType.MaintenanceSession.Plural}/{sessionName}");
    }

    /// <summary>
    /// The Prometheus text of every metric; the status-derived series from five list calls made now. A resource
    /// that cannot be read or is invalid is counted in mysql_backup_invalid_resources and never fails the scrape.
    /// </summary>
    public async Task WriteMetricsAsync(Stream output, CancellationToken cancellationToken)
    {
        await RefreshStatusMetricsAsync(cancellationToken);
        await metrics.ExportAsync(output, cancellationToken);
    }

    /// <summary>
    /// Sets the status-derived gauges from the resources as listed now (five list calls): for a scrape, and after
    /// each Reconcile while an OpenTelemetry exporter reads them (Azure Monitor has no scrape).
    /// </summary>
    public async Task RefreshStatusMetricsAsync(CancellationToken cancellationToken)
    {
        var configurations = await cluster.ListAsync<BackupConfiguration>(null, null, cancellationToken);
        var repositories = await cluster.ListAsync<Repository>(null, null, cancellationToken);
        var backups = await cluster.ListAsync<BackupSession>(null, null, cancellationToken);
        var restores = await cluster.ListAsync<RestoreSession>(null, null, cancellationToken);
        var maintenances = await cluster.ListAsync<MaintenanceSession>(null, null, cancellationToken);
        var sessions = new List<SessionPhaseEntry>();
        sessions.AddRange(backups.Select(s => new SessionPhaseEntry(s.Namespace, s.Kind, s.Status?.Phase)));
        sessions.AddRange(restores.Select(s => new SessionPhaseEntry(s.Namespace, s.Kind, s.Status?.Phase)));
        sessions.AddRange(maintenances.Select(s => new SessionPhaseEntry(s.Namespace, s.Kind, s.Status?.Phase)));
        var invalid = configurations.Unreadable.Concat(repositories.Unreadable).Concat(backups.Unreadable).Concat(restores.Unreadable).Concat(maintenances.Unreadable).ToList();
        invalid.AddRange(configurations
            .Select(c => (ControlPlane.ProblemOf(c, settings.TimeZone, out _) ?? ControlPlane.FeatureProblemOf(c)) is { } problem ? new InvalidResource(c.Kind, c.Namespace, c.Name, problem) : null)
            .OfType<InvalidResource>());
        invalid.AddRange(repositories
            .Select(r => maintenance.ProblemOf(r, out _) is { } problem ? new InvalidResource(r.Kind, r.Namespace, r.Name, problem) : null)
            .OfType<InvalidResource>());
        metrics.SetFromStatus(new StatusSnapshot(configurations, repositories, sessions, invalid, backups), settings.TimeZone, clock.GetUtcNow());
    }
}
