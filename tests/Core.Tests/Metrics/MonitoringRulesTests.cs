using System.Reflection;
using System.Text.RegularExpressions;
using CliWrap;
using CliWrap.Buffered;
using Serverless.Backup.Core.Metrics;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Core.Tests.Metrics;

public sealed partial class MonitoringRulesTests
{
    private static readonly string Monitoring = Path.Combine(TestEnvironment.RepoRoot, "infra", "k8s", "monitoring");

    [Fact]
    public async Task The_alert_rules_pass_their_promtool_unit_tests()
    {
        var result = await Cli.Wrap("promtool")
            .WithArguments(["test", "rules", "alerts.test.yaml"])
            .WithWorkingDirectory(Monitoring)
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync();

        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        Assert.Contains("SUCCESS", result.StandardOutput + result.StandardError);
    }

    [Theory]
    [InlineData("alerts.yaml")]
    [InlineData("dashboard.json")]
    public void Monitoring_files_query_only_metrics_the_system_exports(string file)
    {
        var known = typeof(MetricNames).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.Name != nameof(MetricNames.Prefix))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToHashSet();
        // Histograms are queried through their _bucket, _sum and _count series.
        var used = MetricName().Matches(File.ReadAllText(Path.Combine(Monitoring, file)))
            .Select(m => Regex.Replace(m.Value, "_(bucket|sum|count)$", ""))
            .ToHashSet();

        Assert.NotEmpty(used);
        Assert.Empty(used.Except(known));
    }

    [GeneratedRegex("mysql_backup_[a-z_]+")]
    private static partial Regex MetricName();
}
