using Serverless.Backup.Core.Events;
using Serverless.Backup.Core.Resources;
using Serverless.Backup.Functions.Webhook;

namespace Serverless.Backup.Functions.Tests.Webhook;

public sealed class SessionEventApplierTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 1, 0, 0, TimeSpan.Zero);

    private static StartedEvent Started() => new() { Verb = "backup", Namespace = "prod", Session = "shop-1", Time = T0, Databases = ["shop"] };

    private static SucceededEvent Succeeded() => new()
    {
        Verb = "backup", Namespace = "prod", Session = "shop-1", Time = T0.AddSeconds(30), DurationSeconds = 30,
        Databases = [new DatabaseResult { Database = "shop", SnapshotId = "0123456789abcdef", Bytes = 4096, Sha256 = new string('a', 64), DataAdded = 1024, DurationSeconds = 29 }],
    };

    private static FailedEvent Failed() => new() { Verb = "backup", Namespace = "prod", Session = "shop-1", Time = T0.AddSeconds(40), Reason = FailureReason.DumpFailed, Message = "mysqldump exited 2" };

    [Fact]
    public void Started_then_succeeded_records_the_snapshot_stats()
    {
        var running = SessionEventApplier.Apply(null, "shop-1", "prod", Started(), T0).Status!;
        Assert.Equal(SessionPhase.Running, running.Phase);
        var done = SessionEventApplier.Apply(running, "shop-1", "prod", Succeeded(), T0.AddSeconds(31));
        Assert.Equal(202, done.HttpStatus);
        var snapshot = Assert.Single(done.Status!.Snapshots!);
        Assert.Equal(("shop", "0123456789abcdef", 4096L, 1024L), (snapshot.Database, snapshot.SnapshotId, snapshot.Bytes, snapshot.DataAdded));
        Assert.Equal(SessionPhase.Succeeded, done.Status.Phase);
    }

    [Fact]
    public void A_replayed_or_later_failure_cannot_undo_a_success()
    {
        var done = SessionEventApplier.Apply(null, "shop-1", "prod", Succeeded(), T0.AddSeconds(31)).Status!;
        var replay = SessionEventApplier.Apply(done, "shop-1", "prod", Started(), T0);
        Assert.Equal(409, replay.HttpStatus);
        Assert.Null(replay.Status);
        var later = SessionEventApplier.Apply(done, "shop-1", "prod", Failed(), T0.AddSeconds(50));
        Assert.Equal(409, later.HttpStatus);
        Assert.Contains("only move forward", later.Refusal);
    }

    [Fact]
    public void A_failure_records_the_reason()
    {
        var failed = SessionEventApplier.Apply(null, "shop-1", "prod", Failed(), T0).Status!;
        Assert.Equal((SessionPhase.Failed, "DumpFailed"), (failed.Phase, failed.Reason));
        Assert.Contains("mysqldump exited 2", failed.Message);
    }

    [Fact]
    public void An_event_naming_another_session_is_refused()
    {
        var outcome = SessionEventApplier.Apply(null, "shop-2", "prod", Started(), T0);
        Assert.Equal(400, outcome.HttpStatus);
        Assert.Contains("prod/shop-1", outcome.Refusal);
    }
}
