using Serverless.Backup.WorkerHost;
using Serverless.Backup.WorkerHost.Rpc;

namespace Serverless.Backup.Functions.Worker.Tests;

public static class WorkerLogs
{
    /// <summary>
    /// The worker's RpcLog of an invocation that contains <paramref name="text"/>. Logs travel on the same stream as
    /// the InvocationResponse but are written from the logger, so one may trail the response briefly.
    /// </summary>
    public static async Task<RpcLog> WaitForAsync(FunctionsHost host, string invocationId, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var log = host.LogsOf(invocationId).FirstOrDefault(l => l.Message.Contains(text, StringComparison.Ordinal));
            if (log is not null)
            {
                return log;
            }
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"no RpcLog of invocation {invocationId} says '{text}'; logs:\n"
                    + string.Join('\n', host.Logs.Select(l => $"[{l.InvocationId}] {l.Level} {l.Category}: {l.Message}")));
            }
            await Task.Delay(50);
        }
    }
}
