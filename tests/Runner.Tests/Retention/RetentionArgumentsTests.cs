using Serverless.Backup.Core.Environment;
using Serverless.Backup.Runner.Restic;
using Serverless.Backup.Runner.Retention;

namespace Serverless.Backup.Runner.Tests.Retention;

public sealed class RetentionArgumentsTests
{
    private static readonly SessionSettings Session = new() { Namespace = "prod", Name = "shop-1", Configuration = "shop" };

    [Fact]
    public void Forget_is_limited_to_the_configurations_host_and_tags_and_groups_each_database_apart()
    {
        var arguments = string.Join(' ', RetentionRun.Arguments(Session, new() { KeepLast = 3, KeepDaily = 0, KeepMonthly = 2, KeepTags = ["keep=forever"], Prune = true }));

        Assert.Equal(
            "forget --json -q --host prod.shop --tag config=shop,namespace=prod --group-by host,paths --keep-last 3 --keep-monthly 2 --keep-tag keep=forever --keep-tag kind=binlog --prune",
            arguments);
    }

    [Fact]
    public void A_dry_run_never_prunes()
    {
        var arguments = RetentionRun.Arguments(Session, new() { KeepWeekly = 4, Prune = true, DryRun = true });

        Assert.Contains("--dry-run", arguments);
        Assert.DoesNotContain("--prune", arguments);
    }

    [Fact]
    public void Forget_output_is_read_up_to_the_end_of_its_JSON_when_prune_text_follows()
    {
        const string output = """[{"host":"prod.shop","paths":["/shop.sql"],"keep":[{"id":"aa","short_id":"aa","time":"2026-11-15T02:00:00Z","tags":["db=shop"]}],"remove":null}]""" + "\nloading indexes...\n[0:00] 100.00%  2 / 2 snapshots\n";

        var groups = ResticJson.FirstValue<List<ResticForgetGroup>>(output, []);

        Assert.Equal("shop", Assert.Single(Assert.Single(groups).Keep!).Database);
        Assert.Empty(ResticJson.FirstValue<List<ResticForgetGroup>>("", []));
    }
}
