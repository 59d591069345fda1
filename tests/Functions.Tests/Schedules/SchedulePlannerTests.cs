using k8s.Models;
using Serverless.Backup.Core.Resources;
using Serverless.Backup.Functions.Schedules;

namespace Serverless.Backup.Functions.Tests.Schedules;

public sealed class SchedulePlannerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 1, 0, 20, TimeSpan.Zero);

    private static BackupConfiguration Config(string name, string schedule = "0 1 * * *", string repository = "repo", bool paused = false, int history = 1) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "prod" },
        Spec = new BackupConfigurationSpec { Schedule = schedule, Repository = new ObjectRef { Name = repository }, Paused = paused, BackupHistoryLimit = history },
    };

    private static BackupSession Session(BackupConfiguration configuration, string name, string? phase, int minutesAgo = 0)
    {
        var session = SchedulePlanner.NewSession(configuration, name, null, "schedule");
        session.Metadata.CreationTimestamp = Now.UtcDateTime.AddMinutes(-minutesAgo);
        session.Status = phase is null ? null : new SessionStatus { Phase = phase };
        return session;
    }

    [Fact]
    public void A_due_configuration_gets_one_pending_session_named_after_its_slot()
    {
        var plan = SchedulePlanner.Plan([Config("shop")], [], Now, "UTC");
        var session = Assert.Single(plan.ToCreate);
        Assert.Equal("shop-202611240100", session.Metadata.Name);
        Assert.Null(session.Status);
        Assert.Equal("shop", session.Metadata.Labels[ResourceGroup.ConfigurationLabel]);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 1, 0, 0, TimeSpan.Zero), plan.Notes[0].NextScheduleTime);
    }

    [Fact]
    public void A_second_tick_of_the_same_slot_creates_nothing()
    {
        var configuration = Config("shop");
        var first = SchedulePlanner.Plan([configuration], [], Now, "UTC");
        var second = SchedulePlanner.Plan([configuration], first.ToCreate, Now.AddSeconds(30), "UTC");
        Assert.Empty(second.ToCreate);
    }

    [Fact]
    public void A_paused_configuration_and_one_not_due_create_nothing()
    {
        var plan = SchedulePlanner.Plan([Config("paused", paused: true), Config("later", "0 3 * * *")], [], Now, "UTC");
        Assert.Empty(plan.ToCreate);
    }

    [Fact]
    public void After_downtime_only_the_latest_slot_within_the_starting_deadline_runs()
    {
        var plan = SchedulePlanner.Plan([Config("often", "*/2 * * * *")], [], Now.AddMinutes(1), "UTC");
        Assert.Equal("often-202611240100", Assert.Single(plan.ToCreate).Metadata.Name);
        var late = SchedulePlanner.Plan([Config("nightly")], [], Now.AddHours(2), "UTC");
        Assert.Empty(late.ToCreate);
    }

    [Fact]
    public void A_busy_repository_makes_the_new_session_skipped_with_the_reason()
    {
        var other = Config("other");
        var running = Session(other, "other-202611240000", SessionPhase.Running, 60);
        var plan = SchedulePlanner.Plan([Config("shop")], [running], Now, "UTC");
        var session = Assert.Single(plan.ToCreate);
        Assert.Equal(SessionPhase.Skipped, session.Status?.Phase);
        Assert.Contains("other-202611240000", session.Status?.Message);
        Assert.Contains("Repository repo", session.Status?.Message);
    }

    [Fact]
    public void Two_configurations_of_one_repository_due_together_make_one_pending_and_one_skipped()
    {
        var plan = SchedulePlanner.Plan([Config("a"), Config("b")], [], Now, "UTC");
        Assert.Equal([null, SessionPhase.Skipped], plan.ToCreate.Select(s => s.Status?.Phase));
    }

    [Fact]
    public void Finished_sessions_beyond_the_history_limit_are_deleted_oldest_first()
    {
        var configuration = Config("shop", "0 3 * * *", history: 2);
        var sessions = new[]
        {
            Session(configuration, "shop-1", SessionPhase.Succeeded, 300),
            Session(configuration, "shop-2", SessionPhase.Failed, 200),
            Session(configuration, "shop-3", SessionPhase.Succeeded, 100),
            Session(configuration, "shop-4", SessionPhase.Running, 10),
        };
        var plan = SchedulePlanner.Plan([configuration], sessions, Now, "UTC");
        Assert.Equal(["shop-1"], plan.ToDelete.Select(s => s.Metadata.Name));
    }

    [Fact]
    public void An_invalid_cron_is_reported_on_the_configuration_with_the_field_and_the_fix()
    {
        var plan = SchedulePlanner.Plan([Config("bad", "every day")], [], Now, "UTC");
        Assert.Empty(plan.ToCreate);
        var note = Assert.Single(plan.Notes);
        Assert.Contains("prod/bad", note.Error);
        Assert.Contains("spec.schedule='every day'", note.Error);
        Assert.Contains("0 1 * * *", note.Error);
    }

    [Fact]
    public void The_default_time_zone_applies_when_the_configuration_names_none()
    {
        var plan = SchedulePlanner.Plan([Config("berlin", "0 2 * * *")], [], Now, "Europe/Berlin");
        Assert.Equal("berlin-202611240100", Assert.Single(plan.ToCreate).Metadata.Name);
    }
}
