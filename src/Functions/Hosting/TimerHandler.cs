namespace Serverless.Backup.Functions.Hosting;

/// <summary>The work of one timer function; returns the lines to log on the invocation.</summary>
public delegate Task<IReadOnlyList<string>> TimerHandler(TimerInvocation invocation, CancellationToken cancellationToken);
