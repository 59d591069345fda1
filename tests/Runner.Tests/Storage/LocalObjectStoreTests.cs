using Serverless.Backup.Runner.Processes;
using Serverless.Backup.Runner.Storage;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Runner.Tests.Storage;

/// <summary>A folder store's half-written objects: invisible, and removed once their writer has ended.</summary>
public sealed class LocalObjectStoreTests
{
    [Fact]
    public async Task A_write_cut_short_by_a_kill_is_removed_once_its_writer_has_ended_and_a_live_one_is_kept()
    {
        var root = TestEnvironment.TempFolder("local-store");
        var store = new LocalObjectStore(root);
        var folder = Path.Combine(root, "backup-runner", "pending");
        Directory.CreateDirectory(folder);
        // A process that has ended (started and reaped) and one that is live (this one).
        using var ended = System.Diagnostics.Process.Start("true")!;
        var endedIdentity = new ProcessIdentity(Environment.MachineName, ended.Id, ProcessIdentity.StartOf(ended.Id) ?? 1);
        await ended.WaitForExitAsync();
        var dead = Path.Combine(folder, "a.json.tmp-" + LocalObjectStore.WriterToken(endedIdentity) + "-0badc0de");
        var live = Path.Combine(folder, "b.json.tmp-" + LocalObjectStore.WriterToken(ProcessIdentity.Current) + "-0badc0de");
        var unknown = Path.Combine(folder, "c.json.tmp-0123456789abcdef");
        foreach (var file in new[] { dead, live, unknown })
        {
            await File.WriteAllTextAsync(file, "{\"namespace\":");
        }
        Assert.True(await store.TryCreateAsync("backup-runner/pending/d.json", new MemoryStream("{}"u8.ToArray()), 2, null, CancellationToken.None));

        var listed = new List<string>();
        await foreach (var item in store.ListAsync("backup-runner/pending/", CancellationToken.None))
        {
            listed.Add(item.Key);
        }
        Assert.Equal(["backup-runner/pending/d.json"], listed);

        Assert.Equal(1, await store.RemoveIncompleteAsync("backup-runner/pending/", exclusive: false, CancellationToken.None));
        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(live) && File.Exists(unknown));
        // With the repository to itself, a run removes every other writer's leftovers, but never its own.
        Assert.Equal(1, await store.RemoveIncompleteAsync("backup-runner/pending/", exclusive: true, CancellationToken.None));
        Assert.True(File.Exists(live) && !File.Exists(unknown));
        Assert.True(File.Exists(Path.Combine(folder, "d.json")));
    }
}
