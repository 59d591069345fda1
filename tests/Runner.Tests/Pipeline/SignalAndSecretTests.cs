using System.Text.Encodings.Web;
using System.Text.Json;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Runner.Tests.Pipeline;

[Collection(RunnerCollection.Name)]
public sealed class SignalAndSecretTests(RunnerFixture fixture)
{
    private MariaDbServer Db => fixture.Database;

    /// <summary>A mariadb-dump that sends 200 kB, then stalls, so a test can act while data is in flight.</summary>
    internal static string SlowDumpFolder()
    {
        var bin = TestEnvironment.TempFolder("bin");
        var script = Path.Combine(bin, "mariadb-dump");
        // --version (the runner asks which dump tool it has) answers at once; a dump stalls after 200,000 bytes.
        File.WriteAllText(script, "#!/bin/bash\nfor a in \"$@\"; do [ \"$a\" = --version ] && exec /usr/bin/mariadb-dump \"$@\"; done\n/usr/bin/mariadb-dump \"$@\" > >(head -c 200000; sleep 60; cat >/dev/null)\nwait\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return bin;
    }

    [Fact]
    public async Task SIGTERM_mid_backup_stops_the_dump_leaves_no_snapshot_and_no_lock()
    {
        var repository = TestEnvironment.TempFolder("repo");
        await SampleDatabase.CreateAsync(Db, "sigterm_db", extraRows: 20000);
        var settings = fixture.Settings("sigterm", repository, "sigterm_db");
        await using var runner = RunnerProcess.Start("backup", EnvContract.ToEnvironment(settings), SlowDumpFolder());

        await runner.WaitForEventAsync(e => e is ProgressEvent { BytesDone: >= 200000 }, TimeSpan.FromSeconds(60));
        runner.Signal(15);
        var result = await runner.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(143, result.ExitCode);
        Assert.Equal(FailureReason.Cancelled, result.Failed?.Reason);
        Assert.Empty(await ResticRepository.LocksAsync(repository, RunnerFixture.RepositoryPassword));
        Assert.Empty(await ResticRepository.SnapshotsAsync(repository, RunnerFixture.RepositoryPassword));
        // The next backup works straight away.
        var next = await RunnerProcess.RunAsync("backup", fixture.Settings("sigterm-next", repository, "sigterm_db"));
        Assert.True(next.ExitCode == 0, next.ToString());
    }

    [Fact]
    public async Task Secrets_never_appear_in_any_process_arguments_or_output()
    {
        var repository = TestEnvironment.TempFolder("repo");
        await SampleDatabase.CreateAsync(Db, "secret_db", extraRows: 20000);
        var settings = fixture.Settings("secrets", repository, "secret_db");
        settings = settings with { Reporting = settings.Reporting with { WebhookUrl = null } };
        string[] secrets = [MariaDbServer.Password, RunnerFixture.RepositoryPassword];
        await using var runner = RunnerProcess.Start("backup", EnvContract.ToEnvironment(settings), SlowDumpFolder());

        await runner.WaitForEventAsync(e => e is ProgressEvent { BytesDone: >= 200000 }, TimeSpan.FromSeconds(60));
        var commandLines = ProcessTree.Of(runner.Pid).Select(ProcessTree.CommandLine).ToList();
        runner.Signal(15);
        var result = await runner.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Contains(commandLines, c => c.Contains("restic backup --stdin"));
        Assert.Contains(commandLines, c => c.Contains("mariadb-dump"));
        // The option file with the password is a memory file of the runner, on no disk.
        Assert.Contains(commandLines, c => c.Contains($"--defaults-file=/proc/{runner.Pid}/fd/"));
        foreach (var secret in secrets.SelectMany(Forms))
        {
            Assert.DoesNotContain(commandLines, c => c.Contains(secret));
            Assert.DoesNotContain(secret, result.Stdout);
            Assert.DoesNotContain(secret, result.Stderr);
        }
    }

    [Fact]
    public async Task Secrets_never_appear_in_the_arguments_or_output_of_check_forget_and_unlock()
    {
        var repository = TestEnvironment.TempFolder("repo");
        await SampleDatabase.CreateAsync(Db, "secret_verbs_db");
        var (bin, argv) = RecordingRestic();
        var settings = fixture.Settings("secret-verbs", repository, "secret_verbs_db") with
        {
            Retention = new() { KeepLast = 1, Prune = true },
            Maintenance = new() { Exclusive = true, ReadDataSubset = "100%" },
        };
        string[] secrets = [MariaDbServer.Password, RunnerFixture.RepositoryPassword];

        var results = new List<RunnerResult>();
        foreach (var verb in new[] { "backup", "forget", "check", "unlock" })
        {
            var result = await RunnerProcess.RunAsync(verb, settings, bin);
            Assert.True(result.ExitCode == 0, result.ToString());
            results.Add(result);
        }

        var commandLines = await File.ReadAllTextAsync(argv);
        Assert.Contains("forget --json", commandLines);
        Assert.Contains("check --read-data-subset 100%", commandLines);
        foreach (var secret in secrets.SelectMany(Forms))
        {
            Assert.DoesNotContain(secret, commandLines);
            Assert.All(results, r => Assert.DoesNotContain(secret, r.Stdout + r.Stderr));
        }
    }

    [Fact]
    public async Task Every_log_line_is_one_JSON_object_with_the_level_the_message_and_the_run_in_its_scopes()
    {
        var repository = TestEnvironment.TempFolder("repo");
        await SampleDatabase.CreateAsync(Db, "log_db");
        // A Pushgateway that does not answer: a warning, and the backup still succeeds.
        var closed = new Uri($"http://127.0.0.1:{TestEnvironment.FreePort()}/");
        var settings = fixture.Settings("json-log", repository, "log_db") with { Retention = new() { KeepLast = 2 } };
        settings = settings with { Reporting = settings.Reporting with { PushgatewayUrl = closed.ToString() } };

        var result = await RunnerProcess.RunAsync("backup", settings);

        Assert.True(result.ExitCode == 0, result.ToString());
        // stdout carries the events only; every line of stderr is a log entry.
        Assert.DoesNotContain(result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), LogLine.IsLogLine);
        var lines = LogLine.ParseAll(result.Stderr);
        Assert.NotEmpty(lines);
        Assert.All(lines, line =>
        {
            Assert.InRange(line.Timestamp, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
            Assert.EndsWith("Z", line.Json.GetProperty("Timestamp").GetString());
            Assert.Contains(line.Level, new[] { "Information", "Warning", "Error" });
            Assert.False(string.IsNullOrEmpty(line.Message));
            Assert.StartsWith("Serverless.Backup.Runner", line.Category);
            Assert.Equal("backup", line.Scope("verb"));
            Assert.Equal("tests", line.Scope("namespace"));
            Assert.Equal("cfg-json-log", line.Scope("configuration"));
            Assert.Equal("json-log", line.Scope("session"));
        });
        var snapshotId = result.Succeeded!.Databases[0].SnapshotId;
        var backedUp = Assert.Single(lines, l => l.Scope("snapshotId") == snapshotId);
        Assert.Equal(("Information", "log_db"), (backedUp.Level, backedUp.Scope("database")));
        Assert.StartsWith("backed up 'log_db': ", backedUp.Message);
        Assert.Equal(snapshotId, backedUp.Json.GetProperty("State").GetProperty("SnapshotId").GetString());
        Assert.Contains(lines, l => l.Level == "Information" && l.Message.StartsWith("retention of tests.cfg-json-log 'log_db'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Level == "Warning" && l.Message.Contains("PUSHGATEWAY_URL", StringComparison.Ordinal) && l.Message.Contains(closed.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_run_that_cannot_start_logs_each_error_on_stderr_and_only_its_event_on_stdout()
    {
        var settings = fixture.Settings("json-error", TestEnvironment.TempFolder("repo"), "x");
        settings = settings with { Database = settings.Database with { Host = null } };

        var result = await RunnerProcess.RunAsync("backup", settings);

        Assert.True(result.ExitCode == ExitCodes.For(FailureReason.InvalidSettings), result.ToString());
        Assert.Equal(FailureReason.InvalidSettings, result.Failed!.Reason);
        Assert.DoesNotContain(result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), LogLine.IsLogLine);
        var error = Assert.Single(LogLine.ParseAll(result.Stderr), l => l.Message.Contains("MYSQL_HOST", StringComparison.Ordinal));
        Assert.Equal("Error", error.Level);
        Assert.Equal(("backup", "tests", "json-error"), (error.Scope("verb"), error.Scope("namespace"), error.Scope("session")));
    }

    /// <summary>A secret as it would look if it leaked: raw, or escaped inside a JSON string.</summary>
    private static IEnumerable<string> Forms(string secret) =>
    [
        secret,
        JsonSerializer.Serialize(secret)[1..^1],
        JsonSerializer.Serialize(secret, new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping })[1..^1],
    ];

    /// <summary>A restic first on PATH that appends its arguments to a file, then runs the real restic.</summary>
    private static (string Bin, string ArgvFile) RecordingRestic()
    {
        var real = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(dir => Path.Combine(dir, "restic")).First(File.Exists);
        var bin = TestEnvironment.TempFolder("bin");
        var argv = Path.Combine(bin, "argv.txt");
        var script = Path.Combine(bin, "restic");
        File.WriteAllText(script, $"#!/bin/bash\necho \"$*\" >> '{argv}'\nexec '{real}' \"$@\"\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return (bin, argv);
    }
}
