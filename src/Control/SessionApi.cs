using System.Text.Json;
using System.Text.Json.Serialization;
using k8s.Models;
using Serverless.Backup.Core;
using Serverless.Backup.Control.Observability;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Cluster;

namespace Serverless.Backup.Control;

/// <summary>An HTTP answer of the API: status, JSON body, optional Location.</summary>
public sealed record ApiResult(int Status, object Body, string? Location = null)
{
    /// <summary>A plain-text answer (the metrics exposition): <see cref="Body"/> is the text.</summary>
    public static ApiResult Text(string text, string contentType) => new(200, text) { ContentType = contentType };

    /// <summary>The content type of a text answer; null for JSON.</summary>
    public string? ContentType { get; init; }

    /// <summary>
    /// An error as RFC 9457 problem details (type, title, status, detail), with the message also as "error", the
    /// field earlier versions of the API answered with. Every error of the app has this shape, routing errors too.
    /// </summary>
    public static ApiResult Error(int status, string message) => new(status, new ProblemBody(status, message));

    public bool IsProblem => Body is ProblemBody;
}

/// <summary>The body of every error answer (application/problem+json).</summary>
public sealed record ProblemBody(int Status, string Detail)
{
    public string Type => "about:blank";
    public string Title => System.Net.HttpStatusCode.IsDefined(typeof(System.Net.HttpStatusCode), Status)
        ? System.Text.RegularExpressions.Regex.Replace(((System.Net.HttpStatusCode)Status).ToString(), "(?<=[a-z])(?=[A-Z])", " ")
        : "Error";
    public string Error => Detail;
}

/// <summary>The body of CreateRestore.</summary>
public sealed record RestoreRequest
{
    public string? Name { get; init; }
    public string? Repository { get; init; }
    /// <summary>The AppBinding to restore into.</summary>
    public string? Target { get; init; }
    public string? FromSession { get; init; }
    public List<string>? Snapshots { get; init; }
    public List<string>? Databases { get; init; }
    public Dictionary<string, string>? Rename { get; init; }
    /// <summary>Allow restoring into target databases that already hold tables (RestoreSession spec.overwrite).</summary>
    public bool Overwrite { get; init; }
    public string? TimeOut { get; init; }
    /// <summary>Restore to this second (RFC 3339 with an offset) or "latest" from the archived binary logs (RestoreSession spec.pointInTime).</summary>
    public string? PointInTime { get; init; }
    /// <summary>The BackupConfiguration whose dumps and logs a point-in-time restore uses (default: the only one archiving into the repository).</summary>
    public string? Configuration { get; init; }
}

/// <summary>The HTTP functions over sessions: TriggerBackup, CreateRestore, GetSession, ListSessions (backup, restore and maintenance sessions).</summary>
public sealed class SessionApi(IClusterGateway cluster, ControlPlane control, TimeProvider clock)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        // Error messages quote names: keep them readable for curl users.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static string SessionPath(string ns, string plural, string name) => $"/api/sessions/{ns}/{plural}/{name}";

    public async Task<ApiResult> TriggerBackupAsync(string ns, string name, CancellationToken cancellationToken)
    {
        if (!Names.IsDnsLabel(ns) || !Names.IsDnsSubdomain(name))
        {
            return ApiResult.Error(400, $"'{ns}/{name}' is not a valid namespace/name: use lower-case letters, digits and '-'");
        }
        var configuration = await cluster.GetAsync<BackupConfiguration>(ns, name, cancellationToken);
        if (configuration is null)
        {
            return ApiResult.Error(404, $"BackupConfiguration {ns}/{name} does not exist");
        }
        if (configuration.Spec.Paused)
        {
            return ApiResult.Error(409, $"BackupConfiguration {ns}/{name} is paused (spec.paused is true): set it to false to back it up");
        }
        var errors = ResourceValidation.Validate(configuration);
        if (errors.Count > 0)
        {
            return ApiResult.Error(422, string.Join("; ", errors));
        }
        var sessionName = Names.Bounded($"{name}-{clock.GetUtcNow().UtcDateTime:yyyyMMddHHmmss}-manual", 63);
        var sessions = (await cluster.ListAsync<BackupSession>(ns, null, cancellationToken)).ToList();
        var outcome = await control.StartSessionAsync(configuration, sessionName, null, sessions, cancellationToken);
        var location = SessionPath(ns, ResourceType.BackupSession.Plural, sessionName);
        return outcome switch
        {
            ControlPlane.SessionStart.Skipped => new ApiResult(409, new BackupSkipped(sessionName, SessionPhase.Skipped, $"repository {configuration.Spec.Repository.Name} is busy with another session: the backup was skipped"), location),
            _ => new ApiResult(202, new SessionStarted(sessionName, ns, SessionPhase.Pending), location),
        };
    }

    public async Task<ApiResult> CreateRestoreAsync(string ns, byte[] body, CancellationToken cancellationToken)
    {
        RestoreRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<RestoreRequest>(body, Json);
        }
        catch (JsonException e)
        {
            return ApiResult.Error(400, $"the body is not a valid restore request ({e.Message}): send {{\"repository\": \"…\", \"target\": \"<AppBinding>\", \"fromSession\" | \"snapshots\" | \"pointInTime\", \"databases\", \"rename\", \"overwrite\"}}");
        }
        if (request is null)
        {
            return ApiResult.Error(400, "the body is empty: send a JSON restore request");
        }
        var name = request.Name ?? Names.Bounded($"restore-{clock.GetUtcNow().UtcDateTime:yyyyMMddHHmmss}", 63);
        var restore = new RestoreSession
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = new Dictionary<string, string> { [Api.RepositoryLabel] = request.Repository ?? "" } },
            Spec = new RestoreSessionSpec
            {
                Repository = new ObjectReference { Name = request.Repository },
                Target = new TargetSpec { Ref = new TargetRef { Name = request.Target } },
                FromSession = request.FromSession,
                Snapshots = request.Snapshots,
                Databases = request.Databases,
                Rename = request.Rename,
                Overwrite = request.Overwrite,
                TimeOut = request.TimeOut,
                PointInTime = request.PointInTime,
                Configuration = request.Configuration,
            },
        };
        if (!Names.IsDnsLabel(ns))
        {
            return ApiResult.Error(400, $"namespace '{ns}' is not valid: use lower-case letters, digits and '-'");
        }
        // The resource's checks name spec fields; the body's fields are named here. Database choices are checked
        // apart, with the body's names, as a database name may itself hold "spec.".
        var errors = ResourceValidation.Validate(new RestoreSession { Metadata = restore.Metadata, Spec = restore.Spec with { Databases = null, Rename = null } })
            .Select(e => e.Replace("spec.target.ref.name", "target").Replace("spec.repository.name", "repository").Replace("spec.", "").Replace("metadata.name", "name"))
            .Concat(RestoreTargets.Check(request.Databases, request.Rename, "databases", "rename"))
            .ToList();
        if (errors.Count > 0)
        {
            return ApiResult.Error(400, string.Join("; ", errors));
        }
        if (await cluster.GetAsync<Repository>(ns, request.Repository!, cancellationToken) is null)
        {
            return ApiResult.Error(422, $"repository: Repository {ns}/{request.Repository} does not exist");
        }
        if (await cluster.GetAsync<AppBinding>(ns, request.Target!, cancellationToken) is null)
        {
            return ApiResult.Error(422, $"target: AppBinding {ns}/{request.Target} does not exist");
        }
        if (request.PointInTime is { } pointInTime)
        {
            var (configuration, unresolved) = await control.PointInTimeConfigurationAsync(ns, request.Repository, request.Configuration, cancellationToken);
            if (unresolved is not null)
            {
                return ApiResult.Error(422, RequestField(unresolved));
            }
            if (PointInTimeApi.Refusal(configuration!, pointInTime, clock.GetUtcNow()) is { } refusal)
            {
                return ApiResult.Error(422, refusal);
            }
            restore.Metadata.Labels[Api.ConfigurationLabel] = configuration!.Name;
            restore.Spec = restore.Spec with { Configuration = configuration.Name };
        }
        if (request.FromSession is { } from)
        {
            var source = await cluster.GetAsync<BackupSession>(ns, from, cancellationToken);
            if (source is null || source.Status?.Phase != SessionPhase.Succeeded)
            {
                return ApiResult.Error(422, $"fromSession: BackupSession {ns}/{from} {(source is null ? "does not exist" : $"is {source.Status?.Phase ?? SessionPhase.Pending}, not Succeeded")}");
            }
        }
        SessionTelemetry.StampOperation(restore.Metadata);
        if (!await cluster.TryCreateAsync(restore, cancellationToken))
        {
            return ApiResult.Error(409, $"RestoreSession {ns}/{name} exists already: choose another name");
        }
        control.Telemetry.Created(restore, restore.Status);
        return new ApiResult(202, new SessionStarted(name, ns, SessionPhase.Pending), SessionPath(ns, ResourceType.RestoreSession.Plural, name));
    }

    /// <summary>A problem of the restore's own fields named as the body names them; a configuration's fields keep their spec. names.</summary>
    private static string RequestField(string problem) =>
        (problem.StartsWith("spec.configuration", StringComparison.Ordinal) || problem.StartsWith("spec.pointInTime:", StringComparison.Ordinal)
            ? problem["spec.".Length..] : problem)
        .Replace("name one in spec.configuration", "name one in configuration", StringComparison.Ordinal);

    public async Task<ApiResult> GetSessionAsync(string ns, string plural, string name, CancellationToken cancellationToken)
    {
        if (!Names.IsDnsLabel(ns) || !Names.IsDnsSubdomain(name))
        {
            return ApiResult.Error(400, $"'{ns}/{name}' is not a valid namespace/name: use lower-case letters, digits and '-'");
        }
        object? session = plural switch
        {
            "backupsessions" => await cluster.GetAsync<BackupSession>(ns, name, cancellationToken),
            "restoresessions" => await cluster.GetAsync<RestoreSession>(ns, name, cancellationToken),
            "maintenancesessions" => await cluster.GetAsync<MaintenanceSession>(ns, name, cancellationToken),
            _ => null,
        };
        return session switch
        {
            BackupSession b => new ApiResult(200, View(b.Kind, b.Metadata, b.Status, ConfigurationOf(b))),
            RestoreSession r => new ApiResult(200, View(r.Kind, r.Metadata, r.Status, null)),
            MaintenanceSession m => new ApiResult(200, View(m.Kind, m.Metadata, m.Status, m.Spec.Configuration, m.Spec.Task, m.Spec.Repository.Name)),
            _ when plural is not ("backupsessions" or "restoresessions" or "maintenancesessions") => ApiResult.Error(400, $"'{plural}' is not a session kind: use backupsessions, restoresessions or maintenancesessions"),
            _ => ApiResult.Error(404, $"{plural} {ns}/{name} does not exist"),
        };
    }

    public async Task<ApiResult> ListSessionsAsync(string? ns, string? configuration, CancellationToken cancellationToken)
    {
        if (ns is not null && !Names.IsDnsLabel(ns))
        {
            return ApiResult.Error(400, $"namespace '{ns}' is not valid");
        }
        var labels = configuration is null ? null : new Dictionary<string, string> { [Api.ConfigurationLabel] = configuration };
        var backups = await cluster.ListAsync<BackupSession>(ns, labels, cancellationToken);
        var restores = configuration is null ? await cluster.ListAsync<RestoreSession>(ns, null, cancellationToken) : null;
        var maintenance = configuration is null ? await cluster.ListAsync<MaintenanceSession>(ns, null, cancellationToken) : null;
        var items = backups.Select(b => View(b.Kind, b.Metadata, b.Status, ConfigurationOf(b)))
            .Concat((restores?.AsEnumerable() ?? []).Select(r => View(r.Kind, r.Metadata, r.Status, null)))
            .Concat((maintenance?.AsEnumerable() ?? []).Select(m => View(m.Kind, m.Metadata, m.Status, m.Spec.Configuration, m.Spec.Task, m.Spec.Repository.Name)))
            .OrderByDescending(v => v.Created)
            .ToList();
        // Sessions that cannot be read are listed apart, naming the problem, instead of failing the whole answer.
        var invalid = backups.Unreadable.Concat(restores?.Unreadable ?? []).Concat(maintenance?.Unreadable ?? []).ToList();
        return new ApiResult(200, new SessionList(items, invalid.Count == 0 ? null : invalid));
    }

    private static string? ConfigurationOf(BackupSession session) =>
        session.Metadata.Labels is { } labels && labels.TryGetValue(Api.ConfigurationLabel, out var value) ? value : session.Spec.Invoker.Name;

    public sealed record SessionView(
        string Kind, string Namespace, string Name, string? Configuration, string Phase, string? Reason, string? Message,
        DateTimeOffset? Created, DateTimeOffset? StartTime, DateTimeOffset? CompletionTime, string? Duration,
        SessionProgress? Progress, List<DatabaseStats>? Stats, RetentionStatus? Retention, string? Warning, string? Task, string? Repository);

    private static SessionView View(string kind, V1ObjectMeta meta, SessionStatus? status, string? configuration, string? task = null, string? repository = null) =>
        new(kind, meta.NamespaceProperty ?? "default", meta.Name, configuration, status?.Phase ?? SessionPhase.Pending, status?.Reason, status?.Message,
            meta.CreationTimestamp, status?.StartTime, status?.CompletionTime, status?.SessionDuration, status?.Progress, status?.Stats,
            status?.Retention, status?.Warning, task, repository);
}
