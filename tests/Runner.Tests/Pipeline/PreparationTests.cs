using Serverless.Backup.Runner.Processes;

namespace Serverless.Backup.Runner.Tests.Pipeline;

/// <summary>
/// A backup gets the database and the repository ready at once. The first to fail fails the run without waiting
/// for the other, and nothing the other opened stays open.
/// </summary>
public sealed class PreparationTests
{
    private sealed class Endpoint : IAsyncDisposable
    {
        public bool Disposed { get; private set; }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task Both_ready_gives_both_results()
    {
        var endpoint = new Endpoint();
        var (databases, opened) = await Preparation.BothAsync(
            async ct => { await Task.Delay(50, ct); return new[] { "shop" }; },
            async ct => { await Task.Delay(10, ct); return endpoint; },
            CancellationToken.None);

        Assert.Equal(["shop"], databases);
        Assert.Same(endpoint, opened);
        Assert.False(endpoint.Disposed);
    }

    [Fact]
    public async Task A_failing_database_does_not_wait_for_a_slow_repository_and_cancels_it()
    {
        var repositoryCancelled = new TaskCompletionSource();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => Preparation.BothAsync<string[], Endpoint>(
            async ct => { await Task.Delay(20, ct); throw new InvalidOperationException("database refused"); },
            async ct =>
            {
                try
                {
                    await Task.Delay(TimeSpan.FromMinutes(5), ct);
                }
                catch (OperationCanceledException)
                {
                    repositoryCancelled.SetResult();
                    throw;
                }
                return new Endpoint();
            },
            CancellationToken.None));

        Assert.Equal("database refused", failure.Message);
        Assert.True(repositoryCancelled.Task.IsCompleted);
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task A_repository_opened_before_the_database_failed_is_closed()
    {
        var endpoint = new Endpoint();
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => Preparation.BothAsync<int, Endpoint>(
            async ct => { await Task.Delay(100, ct); throw new InvalidOperationException("no such database"); },
            _ => Task.FromResult(endpoint),
            CancellationToken.None));

        Assert.Equal("no such database", failure.Message);
        Assert.True(endpoint.Disposed);
    }

    [Fact]
    public async Task A_failing_repository_does_not_wait_for_the_database()
    {
        var failure = await Assert.ThrowsAsync<IOException>(() => Preparation.BothAsync<string[], Endpoint>(
            async ct => { await Task.Delay(TimeSpan.FromMinutes(5), ct); return []; },
            _ => throw new IOException("storage unreachable"),
            CancellationToken.None));

        Assert.Equal("storage unreachable", failure.Message);
    }

    [Fact]
    public async Task Stopping_cancels_both()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Preparation.BothAsync(
            async ct => { await Task.Delay(TimeSpan.FromMinutes(5), ct); return 1; },
            async ct => { await Task.Delay(TimeSpan.FromMinutes(5), ct); return new Endpoint(); },
            stop.Token));
    }
}
