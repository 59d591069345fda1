namespace Serverless.Backup.Runner.Processes;

/// <summary>Independent steps before a run's work, done at once.</summary>
public static class Preparation
{
    /// <summary>
    /// Runs two independent preparations at once. When one fails, the other is cancelled and awaited (an endpoint it
    /// opened meanwhile is disposed) and the first failure is thrown.
    /// </summary>
    public static async Task<(T First, TDisposable Second)> BothAsync<T, TDisposable>(
        Func<CancellationToken, Task<T>> first, Func<CancellationToken, Task<TDisposable>> second, CancellationToken cancellationToken)
        where TDisposable : IAsyncDisposable
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var firstTask = first(failed.Token);
        var secondTask = second(failed.Token);
        var pending = new List<Task> { firstTask, secondTask };
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending);
            pending.Remove(done);
            if (done.IsCompletedSuccessfully)
            {
                continue;
            }
            await failed.CancelAsync();
            try
            {
                await Task.WhenAll(pending);
            }
            catch
            {
                // Cancelled because of the first failure, or failed on its own: the first failure is the one to report.
            }
            if (secondTask.IsCompletedSuccessfully)
            {
                await secondTask.Result.DisposeAsync();
            }
            await done; // throws the first failure
        }
        return (firstTask.Result, secondTask.Result);
    }
}
