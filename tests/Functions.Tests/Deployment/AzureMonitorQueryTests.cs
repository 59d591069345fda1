using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Serverless.Backup.Control.Observability;
using Serverless.Backup.Core.Metrics;

namespace Serverless.Backup.Functions.Tests.Deployment;

/// <summary>
/// The workbook (infra/bicep/workbook.json) and the alerts (infra/bicep/alerts.json) that infra/bicep deploys read
/// only what the app's telemetry writes: the tables of workspace-based Application Insights that the Azure Monitor
/// exporter and the Functions host fill, their columns, the session events and their dimensions
/// (<see cref="SessionTelemetry"/>) and the gauges with their labels (<see cref="StatusMetrics"/>).
/// </summary>
public sealed partial class AzureMonitorQueryTests
{
    /// <summary>The tables and columns the telemetry writes (and the queries may name).</summary>
    private static readonly Dictionary<string, HashSet<string>> Tables = new()
    {
        // Session events: custom events from the exporter's log records (name, attributes as Properties).
        ["AppEvents"] = ["TimeGenerated", "Name", "Properties", "OperationId", "AppRoleName"],
        // Status gauges: one row per gauge and export (the value in Sum; labels as Properties).
        ["AppMetrics"] = ["TimeGenerated", "Name", "Sum", "Properties", "AppRoleName"],
        // Timer and HTTP invocations: the Functions host's requests (the standalone server's timer runs too).
        ["AppRequests"] = ["TimeGenerated", "Name", "Success", "AppRoleName", "OperationId", "DurationMs"],
    };

    private static string Bicep(string file) => Path.Combine(BicepCli.Folder, file);

    public sealed record Query(string Source, string Text, IReadOnlyList<string> Dimensions);

    public static IEnumerable<Query> WorkbookQueries()
    {
        var workbook = JsonNode.Parse(File.ReadAllText(Bicep("workbook.json")))!;
        return workbook["items"]!.AsArray()
            .Where(i => i!["type"]!.GetValue<int>() == 3)
            .Select(i => new Query("workbook " + i!["name"]!.GetValue<string>(), i["content"]!["query"]!.GetValue<string>(), []));
    }

    public static IEnumerable<Query> AlertQueries() => JsonNode.Parse(File.ReadAllText(Bicep("alerts.json")))!.AsArray()
        .Select(a => new Query("alert " + a!["name"]!.GetValue<string>(), a["query"]!.GetValue<string>(),
            [.. a["dimensions"]!.AsArray().Select(d => d!.GetValue<string>())]));

    public static TheoryData<string> QuerySources() => new([.. WorkbookQueries().Concat(AlertQueries()).Select(q => q.Source)]);

    [Fact]
    public void The_workbook_is_a_valid_workbook_with_the_tiles_the_portal_shows()
    {
        var workbook = JsonNode.Parse(File.ReadAllText(Bicep("workbook.json")))!;

        Assert.Equal("Notebook/1.0", workbook["version"]!.GetValue<string>());
        var names = workbook["items"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()).ToList();
        Assert.Subset(names.ToHashSet(), new HashSet<string> { "freshness", "sessions-by-phase", "failures", "repositories", "restores", "point-in-time", "verification" });
        Assert.All(workbook["items"]!.AsArray().Where(i => i!["type"]!.GetValue<int>() == 3), i =>
        {
            Assert.Equal("KqlItem/1.0", i!["content"]!["version"]!.GetValue<string>());
            Assert.Equal("microsoft.operationalinsights/workspaces", i["content"]!["resourceType"]!.GetValue<string>());
        });
        // Freshness: a red cell from twice the schedule interval (the budget column), as the alert fires.
        var freshness = workbook["items"]!.AsArray().Single(i => i!["name"]!.GetValue<string>() == "freshness")!["content"]!;
        var budget = freshness["gridSettings"]!["formatters"]!.AsArray().Single(f => f!["columnMatch"]!.GetValue<string>() == "budget")!;
        Assert.Contains(budget["formatOptions"]!["thresholdsGrid"]!.AsArray(), t =>
            t!["operator"]!.GetValue<string>() == ">=" && t["thresholdValue"]!.GetValue<string>() == "2" && t["representation"]!.GetValue<string>().StartsWith("red", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(QuerySources))]
    public void Every_query_names_only_tables_columns_events_dimensions_and_metrics_the_telemetry_writes(string source)
    {
        var query = WorkbookQueries().Concat(AlertQueries()).Single(q => q.Source == source);
        // Workbook parameters ({TimeRange}, {TimeRange:grain}) are replaced before the query runs.
        var text = Placeholder().Replace(query.Text, "ago(1d)");
        var literals = StringLiteral().Matches(text).Select(m => m.Groups[1].Value + m.Groups[2].Value).ToList();
        var code = StringLiteral().Replace(text, "\"\"");

        var table = Identifier().Match(code).Value;
        Assert.True(Tables.ContainsKey(table), $"{source} reads table {table}, which the telemetry does not write");
        var columns = Tables[table];
        var named = Identifier().Matches(code).Select(m => m.Value).Where(w => char.IsUpper(w[0])).Distinct().ToList();
        Assert.All(named, w => Assert.True(w == table || columns.Contains(w), $"{source} names {w}, which is not a column of {table} that the telemetry writes"));

        var dimensions = PropertyAccess().Matches(text).Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value).ToList();
        var known = table == "AppEvents"
            ? SessionTelemetry.Dimensions.All.ToHashSet()
            : StatusMetrics.All.SelectMany(m => m.Labels).ToHashSet();
        Assert.All(dimensions, d => Assert.True(known.Contains(d), $"{source} reads Properties.{d}, which {table} rows never carry"));

        var metrics = StatusMetrics.All.Select(m => m.Name).ToHashSet();
        Assert.All(literals.Where(l => l.StartsWith(MetricNames.Prefix, StringComparison.Ordinal)), l =>
            Assert.True(metrics.Contains(l), $"{source} names metric {l}, which no status gauge exports"));
        Assert.All(literals.Where(l => l.StartsWith("MySqlBackup.", StringComparison.Ordinal)), l =>
            Assert.True(SessionTelemetry.Events.All.Contains(l), $"{source} names event {l}, which the control plane never emits"));
        if (table == "AppEvents")
        {
            Assert.Contains(literals, l => SessionTelemetry.Events.All.Contains(l));
        }
        if (table == "AppMetrics")
        {
            Assert.Contains(literals, l => metrics.Contains(l));
        }
        // An alert's dimensions are columns its query returns.
        Assert.All(query.Dimensions, d => Assert.Matches($@"\b{Regex.Escape(d)}\b", code));
    }

    [Fact]
    public void The_alerts_cover_failed_sessions_freshness_verification_point_in_time_invalid_resources_and_the_scheduler()
    {
        var alerts = JsonNode.Parse(File.ReadAllText(Bicep("alerts.json")))!.AsArray();
        var names = alerts.Select(a => a!["name"]!.GetValue<string>()).ToHashSet();

        Assert.Equal(new HashSet<string> { "session-failed", "backup-missing", "verification-failed", "pitr-lag", "pitr-gap", "invalid-resource", "scheduler-down" }, names);
        Assert.All(alerts, a => Assert.DoesNotContain("ContainerLogV2", a!["query"]!.GetValue<string>(), StringComparison.Ordinal));
        Assert.All(alerts, a => Assert.Contains("docs/operations.md", a!["description"]!.GetValue<string>(), StringComparison.Ordinal));
    }

    [GeneratedRegex(@"\{[A-Za-z]+(:[a-z]+)?\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex("\"([^\"]*)\"|'([^']*)'")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\b[A-Za-z_][A-Za-z0-9_]*\b")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"Properties\.([A-Za-z_][A-Za-z0-9_]*)|Properties\[""([^""]+)""\]")]
    private static partial Regex PropertyAccess();
}
