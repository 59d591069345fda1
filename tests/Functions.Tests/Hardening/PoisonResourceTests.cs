using System.Diagnostics;
using System.Text.Json;
using Serverless.Backup.Core.Metrics;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests.Hardening;

/// <summary>
/// One bad resource never stops the others: files that are not resources, resources of the wrong shape and
/// resources with values out of range are reported (status, error log naming them, metric) and skipped, while
/// the schedule, Reconcile, the check schedule, the session list and the metrics go on for everything else.
/// </summary>
public sealed class PoisonResourceTests : IDisposable
{
    private readonly FolderControlPlane plane = new();

    /// <summary>Files that cannot be read as a BackupConfiguration at all.</summary>
    private static readonly Dictionary<string, string> Unreadable = new()
    {
        ["not-yaml"] = "spec: [unclosed\n  : : : {",
        ["empty"] = "",
        ["blank"] = "   \n\n  \n",
        ["wrong-shape"] = "apiVersion: backup.serverless.dev/v1alpha1\nkind: BackupConfiguration\nmetadata: { name: wrong-shape }\nspec: [1, 2, 3]\n",
        ["wrong-type"] = "apiVersion: backup.serverless.dev/v1alpha1\nkind: BackupConfiguration\nmetadata: { name: wrong-type }\nspec: { schedule: '* * * * *', backupHistoryLimit: lots }\n",
        ["a-list"] = "- 1\n- 2\n",
        ["alias-bomb"] = AliasBomb(),
        ["two-documents"] = "metadata: { name: two-documents }\n---\nmetadata: { name: two-documents }\n",
        ["other-name"] = "apiVersion: backup.serverless.dev/v1alpha1\nkind: BackupConfiguration\nmetadata: { name: someone-else }\nspec: { schedule: '* * * * *' }\n",
        ["other-kind"] = "apiVersion: backup.serverless.dev/v1alpha1\nkind: Repository\nmetadata: { name: other-kind }\nspec: {}\n",
        ["other-namespace"] = "apiVersion: backup.serverless.dev/v1alpha1\nkind: BackupConfiguration\nmetadata: { name: other-namespace, namespace: kube-system }\nspec: { schedule: '* * * * *' }\n",
        ["huge"] = "metadata: { name: huge }\n# " + new string('x', 2 << 20) + "\n",
        ["binary"] = "\0\u0001\u0002\u00ff\ufffe garbage \0",
        ["null-repository"] = "apiVersion: backup.serverless.dev/v1alpha1\nkind: BackupConfiguration\nmetadata: { name: null-repository }\nspec: { schedule: '* * * * *', repository: ~, target: { ref: { name: shop-db } } }\n",
        ["null-target-ref"] = "kind: BackupConfiguration\nmetadata: { name: null-target-ref }\nspec: { schedule: '* * * * *', repository: { name: repo }, target: { ref: null } }\n",
        ["null-spec"] = "kind: BackupConfiguration\nmetadata: { name: null-spec }\nspec: ~\n",
        ["bad-version"] = "kind: BackupConfiguration\nmetadata: { name: bad-version, resourceVersion: abc }\nspec: { schedule: '* * * * *', repository: { name: repo }, target: { ref: { name: shop-db } } }\n",
        ["deep"] = "metadata: { name: deep }\nspec: " + new string('[', 5000) + new string(']', 5000) + "\n",
    };

    /// <summary>Valid YAML of the right shape whose values are out of range: each is Invalid, naming its field.</summary>
    private static readonly Dictionary<string, (string Spec, string Field)> OutOfRange = new()
    {
        ["long-timeout"] = ("  timeOut: 99999999999h", "spec.timeOut"),
        ["negative-deadline"] = ("  startingDeadlineSeconds: -600", "spec.startingDeadlineSeconds"),
        ["endless-deadline"] = ("  startingDeadlineSeconds: 2147483647", "spec.startingDeadlineSeconds"),
        ["no-zone"] = ("  timeZone: \"../../../etc/passwd\"", "spec.timeZone"),
        ["history"] = ("  backupHistoryLimit: -3", "spec.backupHistoryLimit"),
        ["keeps-nothing"] = ("  retentionPolicy: { keepLast: 0 }", "spec.retentionPolicy"),
        ["a-configuration-name-that-is-longer-than-a-label-value-may-be-at-all"] = ("", "label value"),
    };

    private static string AliasBomb()
    {
        var lines = new List<string> { "a0: &a0 [x, x, x, x, x, x, x, x, x, x]" };
        for (var i = 1; i < 12; i++)
        {
            lines.Add($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]");
        }
        lines.Add("metadata: { name: alias-bomb }");
        lines.Add("spec: { target: { args: *a11 } }");
        return string.Join("\n", lines) + "\n";
    }

    private void WritePoison()
    {
        foreach (var (name, text) in Unreadable)
        {
            plane.Write("backupconfigurations", name, text);
        }
        foreach (var (name, (spec, _)) in OutOfRange)
        {
            plane.WriteConfiguration(name, spec);
        }
        plane.WriteConfiguration("bad-cron", schedule: "every day at one");
    }

    [Fact]
    public async Task Files_the_store_does_not_read_and_status_that_cannot_be_right_are_said_and_do_not_stop_the_schedule()
    {
        plane.WriteConfiguration("good");
        plane.WriteConfiguration("never", schedule: "0 0 30 2 *");
        File.WriteAllText(Path.Combine(plane.Folder, FolderControlPlane.Namespace, "backupconfigurations", "other.yml"), "kind: BackupConfiguration\n");
        Directory.CreateDirectory(Path.Combine(plane.Folder, "Bad NS", "backupconfigurations"));
        File.WriteAllText(Path.Combine(plane.Folder, "Bad NS", "backupconfigurations", "x.yaml"), "kind: BackupConfiguration\nmetadata: { name: x }\n");
        // A slot recorded in the future (by hand, or a broken clock) would stop the schedule until that day.
        plane.Write("backupconfigurations", "future", """
            apiVersion: backup.serverless.dev/v1alpha1
            kind: BackupConfiguration
            metadata: { name: future, namespace: prod }
            spec:
              schedule: "* * * * *"
              repository: { name: other-repo }
              target: { ref: { apiVersion: appcatalog.appscode.com/v1alpha1, kind: AppBinding, name: shop-db } }
            status: { lastScheduleTime: "9999-12-31T23:59:59Z" }
            """);

        var summary = await plane.Control.ScheduleTickAsync(CancellationToken.None);

        Assert.Contains("2 sessions created, 0 skipped, 0 archive sessions created, 3 invalid, 0 failed", summary);
        Assert.Single(plane.BackupSessions(), s => s.Spec.Invoker.Name == "future");
        Assert.Contains("spec.schedule '0 0 30 2 *' never fires", plane.Read<BackupConfiguration>("backupconfigurations", "never")!.Status!.Error);
        Assert.Contains("other.yml: is not read: resource files end in .yaml", plane.Log);
        Assert.Contains("which is not a Kubernetes namespace name", plane.Log);
        var samples = PrometheusText.Parse(await plane.MetricsTextAsync());
        Assert.Empty(samples.Find(MetricNames.ConfigurationScheduleIntervalSeconds, ("configuration", "never")));
        Assert.Single(samples.Find(MetricNames.InvalidResources, ("name", "other")));
    }

    [Fact]
    public async Task A_forget_session_written_as_a_file_meets_the_rules_of_the_api_and_a_broken_job_state_ends_its_session()
    {
        plane.WriteConfiguration("other-repo-config", "  retentionPolicy: { keepLast: 2 }\n  paused: true", repository: "elsewhere");
        plane.Write("maintenancesessions", "forget-wrong", """
            apiVersion: backup.serverless.dev/v1alpha1
            kind: MaintenanceSession
            metadata: { name: forget-wrong, namespace: prod, labels: { backup.serverless.dev/repository: repo } }
            spec: { repository: { name: repo }, task: forget, configuration: other-repo-config }
            """);
        await plane.Control.ReconcileAsync(CancellationToken.None);
        var forget = plane.Read<MaintenanceSession>("maintenancesessions", "forget-wrong")!.Status!;
        Assert.Equal((SessionPhase.Failed, "InvalidReference"), (forget.Phase, forget.Reason));
        Assert.Contains("backs up into repository elsewhere, not repo", forget.Message);

        plane.WriteConfiguration("good");
        await plane.Control.ScheduleTickAsync(CancellationToken.None);
        await plane.Control.ReconcileAsync(CancellationToken.None);
        var session = Assert.Single(plane.BackupSessions());
        var job = Path.Combine(plane.Folder, FolderControlPlane.Namespace, "jobs", session.Status!.JobName + ".yaml");
        for (var i = 0; i < 100 && !File.Exists(job + ".state"); i++)
        {
            await Task.Delay(100);
        }
        File.WriteAllText(job + ".state", "garbage\n");
        // A fresh control plane, as after a restart: only the files say what happened.
        using var restarted = new FolderControlPlane(plane.Folder);
        await restarted.Control.ReconcileAsync(CancellationToken.None);
        var status = plane.Read<BackupSession>("backupsessions", session.Name)!.Status!;
        Assert.Equal((SessionPhase.Failed, "JobStateUnreadable"), (status.Phase, status.Reason));
    }

    private IEnumerable<LogLine> LogLines() => LogLine.ParseAll(plane.Log);

    [Fact]
    public async Task One_poison_file_of_each_kind_never_stops_the_schedule_of_the_good_configuration()
    {
        plane.WriteConfiguration("good");
        WritePoison();

        var watch = Stopwatch.StartNew();
        var summary = await plane.Control.ScheduleTickAsync(CancellationToken.None);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"the tick took {watch.Elapsed}");
        Assert.Contains("1 sessions created", summary);
        Assert.Contains($"{Unreadable.Count + OutOfRange.Count + 1} invalid, 0 failed", summary);
        Assert.Single(plane.BackupSessions(), s => s.Spec.Invoker.Name == "good");
        Assert.DoesNotContain(plane.BackupSessions(), s => s.Spec.Invoker.Name != "good");
        var lines = LogLines().ToList();
        foreach (var name in Unreadable.Keys.Concat(OutOfRange.Keys).Append("bad-cron"))
        {
            Assert.Contains(lines, l => l.Level == "Error" && l.Message.Contains($"BackupConfiguration prod/{name} is invalid", StringComparison.Ordinal) && l.Scope("reason") == "InvalidSpec");
        }
        var last = lines.Last(l => l.Message.StartsWith("ScheduleTick:", StringComparison.Ordinal));
        Assert.Equal("Warning", last.Level);
    }

    [Fact]
    public async Task A_fifo_or_a_device_among_the_resource_files_neither_hangs_nor_exhausts_a_tick()
    {
        plane.WriteConfiguration("good");
        var folder = Path.Combine(plane.Folder, FolderControlPlane.Namespace, "backupconfigurations");
        using (var mkfifo = Process.Start("mkfifo", Path.Combine(folder, "pipe.yaml")))
        {
            await mkfifo.WaitForExitAsync();
        }
        File.CreateSymbolicLink(Path.Combine(folder, "zero.yaml"), "/dev/zero");
        File.CreateSymbolicLink(Path.Combine(folder, "proc.yaml"), "/proc/self/status");

        var summary = await plane.Control.ScheduleTickAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Contains("1 sessions created, 0 skipped, 0 archive sessions created, 3 invalid, 0 failed", summary);
        Assert.Contains("BackupConfiguration prod/pipe is invalid and was skipped: pipe.yaml: is empty or not a regular file", plane.Log);
    }

    [Fact]
    public async Task A_configuration_with_a_value_out_of_range_is_marked_invalid_naming_the_field_and_becomes_ready_when_fixed()
    {
        WritePoison();
        await plane.Control.ScheduleTickAsync(CancellationToken.None);

        foreach (var (name, (_, field)) in OutOfRange)
        {
            var status = plane.Read<BackupConfiguration>("backupconfigurations", name)!.Status!;
            Assert.Equal(ResourcePhase.Invalid, status.Phase);
            var valid = Assert.Single(status.Conditions!, c => c.Type == ResourceCondition.Valid);
            Assert.Equal("False", valid.Status);
            Assert.Contains(field, valid.Message);
            Assert.Contains(field, status.Error);
        }
        Assert.Contains("spec.schedule 'every day at one'", plane.Read<BackupConfiguration>("backupconfigurations", "bad-cron")!.Status!.Error);

        plane.WriteConfiguration("long-timeout", "  timeOut: 2h");
        var summary = await plane.Control.ScheduleTickAsync(CancellationToken.None);
        Assert.Contains("1 sessions created", summary);
        var fixedStatus = plane.Read<BackupConfiguration>("backupconfigurations", "long-timeout")!.Status!;
        Assert.Equal(ResourcePhase.Ready, fixedStatus.Phase);
        Assert.Null(fixedStatus.Error);
        Assert.Equal("True", Assert.Single(fixedStatus.Conditions!).Status);
    }

    [Fact]
    public async Task Reconcile_the_check_schedule_the_session_list_and_the_metrics_go_on_beside_poison_files()
    {
        plane.WriteConfiguration("good");
        WritePoison();
        plane.Write("backupsessions", "garbage", "{{{ not a session");
        plane.Write("restoresessions", "empty", "");
        plane.Write("maintenancesessions", "a-list", "- 1\n");
        plane.Write("repositories", "broken", "spec: [");
        plane.Write("repositories", "bad-check", """
            apiVersion: backup.serverless.dev/v1alpha1
            kind: Repository
            metadata: { name: bad-check, namespace: prod }
            spec: { backend: { local: { mountPath: /b } }, check: { schedule: "61 * * * *", readDataSubset: "200%" } }
            """);
        await plane.Control.ScheduleTickAsync(CancellationToken.None);

        var reconcile = await plane.Control.ReconcileAsync(CancellationToken.None);
        Assert.Contains("1 jobs started", reconcile);
        Assert.Contains("0 failed", reconcile);
        var maintenance = await plane.Maintenance.MaintenanceTickAsync(CancellationToken.None);
        Assert.Contains("1 check sessions created", maintenance);
        Assert.Contains("2 invalid, 0 failed", maintenance);
        var badCheck = plane.Read<Repository>("repositories", "bad-check")!.Status!;
        Assert.Equal(ResourcePhase.Invalid, badCheck.Phase);
        Assert.Contains("spec.check.schedule", badCheck.Conditions![0].Message);
        Assert.Contains("spec.check.readDataSubset", badCheck.Conditions![0].Message);

        var list = await plane.Sessions.ListSessionsAsync(null, null, CancellationToken.None);
        Assert.Equal(200, list.Status);
        var listed = JsonSerializer.SerializeToElement(list.Body, SessionApi.Json);
        Assert.True(listed.GetProperty("items").GetArrayLength() >= 2);
        Assert.Equal(3, listed.GetProperty("invalid").GetArrayLength());

        var samples = PrometheusText.Parse(await plane.MetricsTextAsync());
        foreach (var (kind, name) in new[] { ("BackupConfiguration", "not-yaml"), ("BackupConfiguration", "long-timeout"), ("BackupConfiguration", "alias-bomb"), ("Repository", "broken"), ("Repository", "bad-check"), ("BackupSession", "garbage"), ("RestoreSession", "empty") })
        {
            Assert.Equal(1, Assert.Single(samples.Find(MetricNames.InvalidResources, ("kind", kind), ("name", name))).Value);
        }
        Assert.DoesNotContain(samples.Find(MetricNames.InvalidResources), s => s.Labels.Contains(new KeyValuePair<string, string>("name", "good")));
        Assert.Single(samples.Find(MetricNames.ConfigurationScheduleIntervalSeconds, ("configuration", "good")));
    }

    [Fact]
    public async Task A_session_naming_an_unreadable_configuration_fails_naming_the_file_instead_of_failing_reconcile()
    {
        plane.WriteConfiguration("good");
        await plane.Control.ScheduleTickAsync(CancellationToken.None);
        var session = Assert.Single(plane.BackupSessions());
        plane.Write("backupconfigurations", "good", "spec: [broken");

        var summary = await plane.Control.ReconcileAsync(CancellationToken.None);

        Assert.Contains("0 failed", summary);
        var status = plane.Read<BackupSession>("backupsessions", session.Name)!.Status!;
        Assert.Equal((SessionPhase.Failed, "InvalidReference"), (status.Phase, status.Reason));
        Assert.Contains("BackupConfiguration prod/good", status.Message);
    }

    [Fact]
    public async Task Deleting_an_old_session_takes_only_what_names_it_as_owner_never_a_secret_that_merely_holds_its_uid()
    {
        for (var i = 1; i <= 4; i++)
        {
            plane.Write("maintenancesessions", $"old-{i}", $$"""
                apiVersion: backup.serverless.dev/v1alpha1
                kind: MaintenanceSession
                metadata: { name: old-{{i}}, namespace: prod, uid: "{{(i == 1 ? "a" : $"uid-{i}")}}", creationTimestamp: "2026-11-0{{i}}T00:00:00Z", labels: { backup.serverless.dev/repository: repo } }
                spec: { repository: { name: repo }, task: check }
                status: { phase: Succeeded }
                """);
        }
        plane.Write("secrets", "repo-secret", "apiVersion: v1\nkind: Secret\nmetadata: { name: repo-secret, namespace: prod }\nstringData: { RESTIC_PASSWORD: a-password-with-an-a }\n");
        plane.Write("secrets", "old-1-webhook", "apiVersion: v1\nkind: Secret\nmetadata: { name: old-1-webhook, namespace: prod, ownerReferences: [{ apiVersion: backup.serverless.dev/v1alpha1, kind: MaintenanceSession, name: old-1, uid: a }] }\nstringData: { token: t }\n");

        var summary = await plane.Control.ReconcileAsync(CancellationToken.None);

        Assert.Contains("1 old maintenance sessions deleted", summary);
        Assert.Null(plane.Read<MaintenanceSession>("maintenancesessions", "old-1"));
        Assert.NotNull(plane.Read<k8s.Models.V1Secret>("secrets", "repo-secret"));
        Assert.Null(plane.Read<k8s.Models.V1Secret>("secrets", "old-1-webhook"));
    }

    public void Dispose() => plane.Dispose();
}
