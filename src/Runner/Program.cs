using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Core.Events;
using Serverless.Backup.Core.Logging;
using Serverless.Backup.Runner;

// The Job's program: `backup-runner backup` or `backup-runner restore`, settings from the environment
// (docs/runner.md). Stdout carries one JSON event a line; stderr carries the log, one JSON object a line.
using var stop = new CancellationTokenSource();
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false };
// Disposed before the process exits, which writes out the entries still queued.
using var loggers = LoggerFactory.Create(logging => logging.AddBackupJsonConsole(standardError: true));
return await RunnerProgram.RunAsync(args, System.Environment.GetEnvironmentVariable, stdout, loggers, stop.Token);

void Stop(PosixSignalContext context)
{
    // Handle the signal ourselves: stop the dump, interrupt restic so it removes its lock, report, exit 143.
    context.Cancel = true;
    stop.Cancel();
}
