using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Backup.Control;
using Serverless.Backup.Control.Endpoints;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests;

/// <summary>The real server, started once for the OpenAPI tests, and the document it serves.</summary>
public sealed class OpenApiServer : IAsyncLifetime
{
    public StandaloneApp App { get; private set; } = null!;
    public JsonObject Served { get; private set; } = null!;
    public string ServedContentType { get; private set; } = "";

    public async Task InitializeAsync()
    {
        App = StandaloneApp.Start(TestEnvironment.TempFolder("openapi"), timers: false);
        await App.WaitReadyAsync();
        // Anonymous, as a client or a tool first finds it.
        using var response = await App.SendAsync(HttpMethod.Get, $"/{Routes.Prefix}/{Routes.OpenApiDocument}", key: null);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}\n{App.Output}");
        ServedContentType = response.Content.Headers.ContentType?.MediaType ?? "";
        Served = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}

/// <summary>
/// The OpenAPI document against the code: docs/openapi.json is what the server generates (and what the Functions
/// app answers); every HTTP function of <see cref="FunctionCatalog"/> is an operation at its route and method with
/// its route's parameters, and nothing else is; the query parameters and headers documented are those the functions
/// read; and hostile requests get an answer whose status and problem-details body the document describes.
/// </summary>
public sealed class OpenApiTests(OpenApiServer server) : IClassFixture<OpenApiServer>
{
    private const string Regenerate = "run `bash scripts/openapi.sh` and commit docs/openapi.json";
    private static readonly string CheckedInPath = Path.Combine(TestEnvironment.RepoRoot, "docs", "openapi.json");

    private static JsonObject CheckedIn => JsonNode.Parse(File.ReadAllText(CheckedInPath))!.AsObject();

    private static IEnumerable<(FunctionDefinition Function, HttpTrigger Http)> HttpFunctions =>
        FunctionCatalog.All.Where(f => f.Trigger is HttpTrigger).Select(f => (f, (HttpTrigger)f.Trigger));

    [Fact]
    public async Task Both_apps_serve_the_checked_in_document()
    {
        Assert.Equal("application/json", server.ServedContentType);
        Assert.True(JsonNode.DeepEquals(server.Served, CheckedIn),
            $"docs/openapi.json differs from the document the server generates at {FirstDifference(CheckedIn, server.Served, "$")}: {Regenerate}");

        // The Functions app answers the copy built into the control plane.
        var answer = await Api().InvokeAsync(FunctionNames.OpenApiDocument, Request(), CancellationToken.None);
        Assert.Equal(200, answer.Status);
        Assert.Equal("application/json", answer.ContentType);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse((string)answer.Body), CheckedIn), $"the document built into the control plane is not docs/openapi.json: rebuild ({Regenerate})");
    }

    [Fact]
    public void Every_http_function_is_an_operation_at_its_route_and_method_with_its_route_parameters_and_nothing_else_is()
    {
        var document = server.Served;
        var paths = document["paths"]!.AsObject();
        foreach (var (function, http) in HttpFunctions)
        {
            var path = $"/{Routes.Prefix}/{http.Route}";
            var operation = paths[path]?[http.Method]?.AsObject();
            Assert.True(operation is not null, $"{function.Name}: no operation {http.Method.ToUpperInvariant()} {path} in the document");
            Assert.Equal(function.Name, operation["operationId"]?.GetValue<string>());

            var routeParameters = Regex.Matches(http.Route, @"\{(\w+)\}").Select(m => m.Groups[1].Value).ToList();
            var pathParameters = Parameters(operation, "path").ToList();
            Assert.True(routeParameters.SequenceEqual(pathParameters.Select(p => p["name"]!.GetValue<string>())),
                $"{function.Name}: the route {http.Route} has [{string.Join(", ", routeParameters)}], the document [{string.Join(", ", pathParameters.Select(p => p["name"]))}]");
            Assert.All(pathParameters, p => Assert.True(p["required"]?.GetValue<bool>(), $"{function.Name}: path parameter {p["name"]} is not required"));

            var keyed = http.AuthLevel != "anonymous";
            var schemes = operation["security"]?.AsArray().SelectMany(r => r!.AsObject().Select(s => s.Key)).ToList() ?? [];
            Assert.True(keyed == schemes.Contains("functionKey"), $"{function.Name} is {http.AuthLevel}, its operation's security is [{string.Join(", ", schemes)}]");
            if (keyed)
            {
                Assert.True(operation["responses"]?["401"] is not null, $"{function.Name} needs a key, but its operation has no 401");
            }
        }

        var operations = paths.SelectMany(p => p.Value!.AsObject().Select(m => (Path: p.Key, Method: m.Key, Id: m.Value!["operationId"]?.GetValue<string>()))).ToList();
        var expected = HttpFunctions.Select(f => (Path: $"/{Routes.Prefix}/{f.Http.Route}", Method: f.Http.Method, Id: (string?)f.Function.Name)).ToList();
        var extra = operations.Except(expected).ToList();
        Assert.True(extra.Count == 0, $"operations that no HTTP function of FunctionCatalog has: {string.Join("; ", extra)}");
        Assert.Equal(expected.Count, operations.Count);

        var unresolved = Regex.Matches(document.ToJsonString(), "\"#/components/(\\w+)/(\\w+)\"")
            .Select(m => (Kind: m.Groups[1].Value, Name: m.Groups[2].Value))
            .Distinct()
            .Where(r => document["components"]?[r.Kind]?[r.Name] is null)
            .ToList();
        Assert.True(unresolved.Count == 0, $"references to nothing: {string.Join(", ", unresolved)}");
    }

    [Fact]
    public async Task The_documented_query_parameters_and_headers_are_those_each_function_reads()
    {
        var api = Api();
        foreach (var (function, http) in HttpFunctions)
        {
            var queries = new SortedSet<string>(StringComparer.Ordinal);
            var headers = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
            var route = Regex.Matches(http.Route, @"\{(\w+)\}").ToDictionary(m => m.Groups[1].Value, m => (string?)(m.Groups[1].Value == "kind" ? "backupsessions" : "prod"));
            var request = new ApiRequest(route, name => { queries.Add(name); return null; }, name => { headers.Add(name); return null; }, Encoding.UTF8.GetBytes("{}"));
            await api.InvokeAsync(function.Name, request, CancellationToken.None);

            var operation = CheckedIn["paths"]![$"/{Routes.Prefix}/{http.Route}"]![http.Method]!.AsObject();
            var documentedQueries = Parameters(operation, "query").Select(p => p["name"]!.GetValue<string>()).ToList();
            var documentedHeaders = Parameters(operation, "header").Select(p => p["name"]!.GetValue<string>()).ToList();
            Assert.True(queries.SetEquals(documentedQueries), $"{function.Name} reads the query parameters [{string.Join(", ", queries)}], the document lists [{string.Join(", ", documentedQueries)}]");
            Assert.True(headers.SetEquals(documentedHeaders), $"{function.Name} reads the headers [{string.Join(", ", headers)}], the document lists [{string.Join(", ", documentedHeaders)}]");
        }
    }

    public static TheoryData<string, string, string?, string?, HttpStatusCode> Hostile => new()
    {
        { "GET", "/api/no-such-route", null, StandaloneApp.ApiKey, HttpStatusCode.NotFound },
        { "DELETE", "/api/sessions", null, StandaloneApp.ApiKey, HttpStatusCode.MethodNotAllowed },
        { "POST", "/api/restores/prod", "{\"repository\": ", StandaloneApp.ApiKey, HttpStatusCode.BadRequest },
        { "POST", "/api/restores/prod", "{\"repository\": \"r\", \"target\": \"t\", \"color\": \"red\"}", StandaloneApp.ApiKey, HttpStatusCode.BadRequest },
        { "GET", "/api/sessions/prod/widgets/x", null, StandaloneApp.ApiKey, HttpStatusCode.BadRequest },
        { "GET", "/api/sessions", null, null, HttpStatusCode.Unauthorized },
        { "GET", "/api/sessions", null, "wrong-key", HttpStatusCode.Unauthorized },
        { "POST", "/api/backups/prod/nothing", null, StandaloneApp.ApiKey, HttpStatusCode.NotFound },
        { "POST", "/api/events", "{}", null, HttpStatusCode.BadRequest },
        { "POST", "/api/restores/prod", new string(' ', SessionEvents.MaxBodyBytes + 10), StandaloneApp.ApiKey, HttpStatusCode.RequestEntityTooLarge },
        { "GET", "/api/sessions?namespace=" + new string('a', ApiOperations.MaxRequestTarget + 1), null, StandaloneApp.ApiKey, HttpStatusCode.RequestUriTooLong },
        { "GET", "/api/no-such-route?x=" + new string('a', ApiOperations.MaxRequestTarget + 1), null, StandaloneApp.ApiKey, HttpStatusCode.RequestUriTooLong },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task A_hostile_request_gets_a_documented_status_with_a_problem_body_of_the_documented_shape(string method, string target, string? body, string? key, HttpStatusCode expected)
    {
        using var response = await server.App.SendAsync(new HttpMethod(method), target, body, key);
        Assert.Equal(expected, response.StatusCode);
        var status = (int)response.StatusCode;

        var document = server.Served;
        var path = target.Split('?')[0];
        var operation = document["paths"]!.AsObject()
            .Where(p => Regex.IsMatch(path, "^" + Regex.Replace(Regex.Escape(p.Key), @"\\\{\w+}", "[^/]+") + "$"))
            .Select(p => p.Value![method.ToLowerInvariant()])
            .FirstOrDefault(o => o is not null);
        // A request that matches no operation is answered with a response of components.responses, named after its status.
        var documented = operation is not null
            ? operation["responses"]?[status.ToString(System.Globalization.CultureInfo.InvariantCulture)]
            : document["components"]?["responses"]?[response.StatusCode.ToString()];
        var where = operation is not null ? $"operation {operation["operationId"]}" : "components.responses";
        Assert.True(documented is not null, $"{method} {path} answered {status}, which {where} does not document");

        var mediaType = response.Content.Headers.ContentType?.MediaType!;
        Assert.Equal(ApiResponse.ProblemJson, mediaType);
        var schema = Resolve(document, documented["content"]?[mediaType]?["schema"]);
        Assert.True(schema is not null, $"{where} documents {status} without a {mediaType} body");
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        var required = schema["required"]!.AsArray().Select(r => r!.GetValue<string>()).ToList();
        Assert.Equal(["detail", "error", "status", "title", "type"], required.Order());
        foreach (var name in required)
        {
            Assert.True(answer[name] is JsonValue value && Matches(value, schema["properties"]![name]!["type"]!.GetValue<string>()),
                $"{status} of {where}: {name} is {answer[name]?.ToJsonString() ?? "missing"}, the document says {schema["properties"]![name]!["type"]}");
        }
        Assert.Equal(status, answer["status"]!.GetValue<int>());
    }

    private static bool Matches(JsonValue value, string type) => type switch
    {
        "string" => value.GetValueKind() == JsonValueKind.String,
        "integer" => value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<long>(out _),
        _ => false,
    };

    private static JsonObject? Resolve(JsonObject document, JsonNode? schema)
    {
        var reference = schema?["$ref"]?.GetValue<string>();
        if (reference is null)
        {
            return schema?.AsObject();
        }
        JsonNode? node = document;
        foreach (var part in reference.TrimStart('#', '/').Split('/'))
        {
            node = node?[part];
        }
        return node?.AsObject();
    }

    private static IEnumerable<JsonNode> Parameters(JsonObject operation, string location) =>
        operation["parameters"]?.AsArray().OfType<JsonNode>().Where(p => p["in"]?.GetValue<string>() == location) ?? [];

    /// <summary>The JSON path of the first place two documents differ, for the failure message.</summary>
    private static string FirstDifference(JsonNode? expected, JsonNode? actual, string path)
    {
        switch (expected, actual)
        {
            case (JsonObject e, JsonObject a):
                foreach (var key in e.Select(p => p.Key).Union(a.Select(p => p.Key)))
                {
                    if (!JsonNode.DeepEquals(e[key], a[key]))
                    {
                        return FirstDifference(e[key], a[key], $"{path}.{key}");
                    }
                }
                return path;
            case (JsonArray e, JsonArray a) when e.Count == a.Count:
                for (var i = 0; i < e.Count; i++)
                {
                    if (!JsonNode.DeepEquals(e[i], a[i]))
                    {
                        return FirstDifference(e[i], a[i], $"{path}[{i}]");
                    }
                }
                return path;
            default:
                return $"{path} (checked in: {expected?.ToJsonString() ?? "nothing"}, generated: {actual?.ToJsonString() ?? "nothing"})";
        }
    }

    /// <summary>The control plane as the Functions app hosts it, over an empty folder.</summary>
    private static ControlApi Api()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["BACKUP_CLUSTER"] = "folder",
            ["BACKUP_RESOURCES_FOLDER"] = TestEnvironment.TempFolder("openapi-api"),
            ["BACKUP_WEBHOOK_MASTER_KEY"] = FunctionsApp.MasterKey,
        }).Build();
        return new ServiceCollection().AddBackupControlPlane(configuration, ControlPlaneHost.Functions).BuildServiceProvider().GetRequiredService<ControlApi>();
    }

    private static ApiRequest Request() => new(new Dictionary<string, string?>(), _ => null, _ => null, []);
}
