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
        File.WriteAllText(script, "#!/bin/bash\n/usr/bin/mariadb-dump \"$@\" > >(head -c 200000; sleep 60; cat >/dev/null)\nwait\n");
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
    public async Task Every_log_line_is_one_JSON_object_with_stable_fields_and_names_the_snapshot_it_wrote()
    {
        var repository = TestEnvironment.TempFolder("repo");
        await SampleDatabase.CreateAsync(Db, "log_db");

        var result = await RunnerProcess.RunAsync("backup", fixture.Settings("json-log", repository, "log_db") with { Retention = new() { KeepLast = 2 } });

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.NotEmpty(lines);
        Assert.All(lines, line =>
        {
            Assert.True(line.GetProperty("time").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
            Assert.Contains(line.GetProperty("level").GetString(), new[] { "info", "warning", "error" });
            Assert.False(string.IsNullOrEmpty(line.GetProperty("message").GetString()));
            Assert.Equal("backup", line.GetProperty("verb").GetString());
            Assert.Equal("tests", line.GetProperty("namespace").GetString());
            Assert.Equal("cfg-json-log", line.GetProperty("configuration").GetString());
            Assert.Equal("json-log", line.GetProperty("session").GetString());
        });
        var snapshotId = result.Succeeded!.Databases[0].SnapshotId;
        Assert.Contains(lines, l => l.TryGetProperty("snapshotId", out var id) && id.GetString() == snapshotId
            && l.GetProperty("database").GetString() == "log_db");
        Assert.Contains(lines, l => l.GetProperty("message").GetString()!.StartsWith("retention of tests.cfg-json-log 'log_db'", StringComparison.Ordinal));
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
