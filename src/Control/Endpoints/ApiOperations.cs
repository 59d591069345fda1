using Serverless.Backup.Core.Events;
using Serverless.Backup.Core.Webhook;

namespace Serverless.Backup.Control.Endpoints;

public enum ApiParameterSource { Path, Query, Header }

/// <summary>A parameter of an operation; path parameters are required, and must be those of the route.</summary>
public sealed record ApiParameter(string Name, ApiParameterSource In, string Description, bool Required = false, IReadOnlyList<string>? Values = null);

/// <summary>
/// One answer of an operation: its status, when it is given, the body's type (null: none described) and content
/// type, and whether it carries a Location header.
/// </summary>
public sealed record ApiResponse(int Status, string Description, Type? Body, string ContentType, bool Location = false)
{
    public const string Json = "application/json";
    public const string ProblemJson = "application/problem+json";

    public static ApiResponse Of<T>(int status, string description, bool location = false) => new(status, description, typeof(T), Json, location);

    public static ApiResponse Problem(int status, string description) => new(status, description, typeof(ProblemBody), ProblemJson);

    public bool IsProblem => ContentType == ProblemJson;
}

/// <summary>What the OpenAPI document says of one HTTP function of <see cref="FunctionCatalog"/>.</summary>
public sealed record ApiOperation(FunctionDefinition Function, string Tag, string Summary, IReadOnlyList<ApiParameter> Parameters, Type? RequestBody, IReadOnlyList<ApiResponse> Responses)
{
    public HttpTrigger Http => (HttpTrigger)Function.Trigger;

    public bool Keyed => Http.AuthLevel != "anonymous";

    /// <summary>The answers of this operation and those every operation can give.</summary>
    public IEnumerable<ApiResponse> AllResponses => Responses.Concat(ApiOperations.CommonErrors(this));
}

/// <summary>
/// The HTTP API as the OpenAPI document describes it: one entry per HTTP function of <see cref="FunctionCatalog"/>
/// (a test checks there is one for each), its query parameters and headers, its body and its answers. Both hosts
/// answer alike (<see cref="ControlApi"/>, <see cref="ApiHttp"/>), so one description serves both.
/// </summary>
public static class ApiOperations
{
    /// <summary>The longest request target (path and query) the API serves; a longer one is a 414.</summary>
    public const int MaxRequestTarget = 8192;

    private static readonly ApiParameter Namespace = new("namespace", ApiParameterSource.Path, "The Kubernetes namespace.");
    private static readonly ApiResponse BadNames = ApiResponse.Problem(400, "The namespace or the name is not a Kubernetes name.");
    private static readonly ApiResponse Changed = ApiResponse.Problem(409, "A resource changed while it was written: try again.");

    public static IReadOnlyList<ApiOperation> All { get; } =
    [
        new(FunctionCatalog.TriggerBackup, "sessions", "Starts a backup of a BackupConfiguration now.",
            [Namespace, new("name", ApiParameterSource.Path, "The BackupConfiguration.")], null,
            [
                ApiResponse.Of<SessionStarted>(202, "A BackupSession was created; Location is the session.", location: true),
                BadNames,
                ApiResponse.Problem(404, "The BackupConfiguration does not exist."),
                ApiResponse.Of<BackupSkipped>(409, "The repository is busy with another session: the BackupSession was created Skipped; Location is the session.", location: true),
                ApiResponse.Problem(409, "The BackupConfiguration is paused (spec.paused), or a resource changed while it was written: try again."),
                ApiResponse.Problem(422, "The BackupConfiguration is invalid, or cannot be read."),
            ]),
        new(FunctionCatalog.CreateRestore, "sessions", "Creates a RestoreSession from the body's fields (spec.* of the same names).",
            [Namespace], typeof(RestoreRequest),
            [
                ApiResponse.Of<SessionStarted>(202, "A RestoreSession was created; Location is the session.", location: true),
                ApiResponse.Problem(400, "The body is not JSON, has an unknown field or a field of the wrong type, an invalid name, duration or pointInTime, pointInTime with fromSession or snapshots, a database name the server would refuse, a target that is one of the server's own databases, or two databases into one target; or the namespace is not a Kubernetes name."),
                ApiResponse.Problem(409, "A RestoreSession of that name exists already, or a resource changed while it was written."),
                ApiResponse.Problem(422, "The repository, the target AppBinding or the fromSession does not exist, the fromSession did not succeed, or one of them cannot be read; or a point-in-time restore names no usable configuration, or its time is not in the configuration's recoverable window (the message gives the window)."),
            ]),
        new(FunctionCatalog.GetSession, "sessions", "A backup, restore or maintenance session.",
            [Namespace, new("kind", ApiParameterSource.Path, "The session's kind, as a plural resource name.", Values: ["backupsessions", "restoresessions", "maintenancesessions"]),
             new("name", ApiParameterSource.Path, "The session.")], null,
            [
                ApiResponse.Of<SessionApi.SessionView>(200, "The session."),
                ApiResponse.Problem(400, "The namespace or the name is not a Kubernetes name, or the kind is not a session kind."),
                ApiResponse.Problem(404, "The session does not exist."),
                ApiResponse.Problem(422, "The session exists but cannot be read."),
            ]),
        new(FunctionCatalog.ListSessions, "sessions", "The sessions, newest first.",
            [new("namespace", ApiParameterSource.Query, "Only this namespace's sessions (default: every namespace)."),
             new("configuration", ApiParameterSource.Query, "Only this BackupConfiguration's backup sessions (default: every session, restore and maintenance sessions included).")], null,
            [
                ApiResponse.Of<SessionList>(200, "The sessions; those that cannot be read are listed apart under invalid."),
                ApiResponse.Problem(400, "The namespace is not a Kubernetes name."),
            ]),
        new(FunctionCatalog.ListSnapshots, "repositories", "A repository's newest snapshots (at most 50) and figures, from Repository.status: no restic run.",
            [Namespace, new("name", ApiParameterSource.Path, "The Repository."),
             new("configuration", ApiParameterSource.Query, "Only this BackupConfiguration's snapshots."),
             new("database", ApiParameterSource.Query, "Only this database's snapshots (any name the server accepts, URL-encoded).")], null,
            [
                ApiResponse.Of<SnapshotList>(200, "The repository's figures and snapshots, newest first."),
                BadNames,
                ApiResponse.Problem(404, "The Repository does not exist."),
                ApiResponse.Problem(422, "The Repository cannot be read."),
            ]),
        new(FunctionCatalog.GetPointInTime, "configurations", "A BackupConfiguration's point-in-time recovery: whether it is on and valid, its archive schedule, the recoverable window(s), gaps, the last archived binary log and the last archive run's error (status.pointInTime).",
            [Namespace, new("name", ApiParameterSource.Path, "The BackupConfiguration.")], null,
            [
                ApiResponse.Of<PointInTimeApi.PointInTimeView>(200, "The configuration's point-in-time recovery."),
                BadNames,
                ApiResponse.Problem(404, "The BackupConfiguration does not exist."),
            ]),
        new(FunctionCatalog.StartMaintenance, "repositories", "Creates a MaintenanceSession: a check, forget, unlock or verify of the repository.",
            [Namespace, new("name", ApiParameterSource.Path, "The Repository.")], typeof(MaintenanceRequest),
            [
                ApiResponse.Of<MaintenanceStarted>(202, "A MaintenanceSession was created; Location is the session.", location: true),
                ApiResponse.Problem(400, "The body is empty or not JSON, has an unknown field, an unknown task, a bad readDataSubset or duration, or forget or verify without configuration; or the namespace or the name is not a Kubernetes name."),
                ApiResponse.Problem(404, "The Repository does not exist."),
                ApiResponse.Problem(409, "A MaintenanceSession of that name exists already, or a resource changed while it was written."),
                ApiResponse.Problem(422, "The configuration does not exist, has no retentionPolicy (forget), backs up into another repository, is invalid, or cannot be read."),
            ]),
        new(FunctionCatalog.Metrics, "monitoring", "The Prometheus metrics (text exposition format); see docs/api.md.", [], null,
            [new(200, "The metrics.", typeof(string), Observability.ControlPlaneMetrics.ContentType)]),
        new(FunctionCatalog.SessionEvents, "runner", "The runner's webhook: one event of a session, signed with that session's token.",
            [new(WebhookSignature.SessionHeader, ApiParameterSource.Header, "The session, as namespace/kind/name (kind: BackupSession, RestoreSession or MaintenanceSession).", true),
             new(WebhookSignature.TimestampHeader, ApiParameterSource.Header, "When the event was signed, in Unix seconds.", true),
             new(WebhookSignature.SignatureHeader, ApiParameterSource.Header, "The HMAC-SHA256 signature of the timestamp and the body, with the session's token.", true)],
            typeof(RunnerEvent),
            [
                ApiResponse.Of<EventAccepted>(200, "The event was applied to the session."),
                ApiResponse.Problem(400, "Malformed: the session header, the body, or an event of another session; or an event time that cannot be right."),
                ApiResponse.Problem(401, "Unsigned, expired, or a signature that does not match the session."),
                ApiResponse.Problem(404, "The session does not exist."),
                ApiResponse.Problem(409, "A replayed event, a finished session, a phase that cannot move, or a resource changed while it was written."),
                ApiResponse.Problem(422, "The session's Repository cannot be read."),
            ]),
        new(FunctionCatalog.OpenApiDocument, "document", "This document.", [], null,
            [new(200, "The OpenAPI document of the HTTP API (docs/openapi.json).", null, ApiResponse.Json)]),
    ];

    /// <summary>The answers every operation can give: a missing key (keyed ones), a body or target too large, a failure.</summary>
    public static IEnumerable<ApiResponse> CommonErrors(ApiOperation operation)
    {
        if (operation.Keyed)
        {
            yield return ApiResponse.Problem(401, "The function key is missing or wrong (x-functions-key header, or code query parameter).");
        }
        yield return ApiResponse.Problem(413, $"The body is larger than {SessionEvents.MaxBodyBytes} bytes.");
        yield return ApiResponse.Problem(414, $"The path and query are longer than {MaxRequestTarget} characters.");
        if (operation.RequestBody is not null)
        {
            yield return ApiResponse.Problem(415, "The body is not sent as application/json (standalone server; the Functions app reads it whatever its declared type).");
        }
        yield return ApiResponse.Problem(500, "An unexpected failure; the app's log has the details.");
    }

    /// <summary>The errors of a request that matches no operation.</summary>
    public static IReadOnlyList<ApiResponse> RoutingErrors { get; } =
    [
        ApiResponse.Problem(404, "No route matches the path."),
        ApiResponse.Problem(405, "The route does not take the method."),
        ApiResponse.Problem(414, $"The path and query are longer than {MaxRequestTarget} characters, whatever the path."),
    ];

    public static ApiOperation? Find(string function) => All.FirstOrDefault(o => o.Function.Name == function);
}
