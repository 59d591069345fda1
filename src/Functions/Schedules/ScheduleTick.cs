using Serverless.Backup.Core.Resources;
using Serverless.Backup.Functions.Cluster;

namespace Serverless.Backup.Functions.Schedules;

/// <summary>
/// The ScheduleTick function: two list calls (configurations, sessions), then only the writes the plan needs.
/// A create that meets 409 means another tick or instance made the session already.
/// </summary>
public sealed class ScheduleTick(IClusterGateway gateway, string defaultTimeZone)
{
    public async Task<IReadOnlyList<string>> RunAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var configurations = await gateway.ListConfigurationsAsync(cancellationToken);
        var sessions = await gateway.ListBackupSessionsAsync(cancellationToken);
        var plan = SchedulePlanner.Plan(configurations, sessions, now, defaultTimeZone);
        var logs = new List<string>();
        foreach (var session in plan.ToCreate)
        {
            var status = session.Status;
            session.Status = null;
            var created = await gateway.CreateBackupSessionAsync(session, cancellationToken);
            if (created is null)
            {
                logs.Add($"{session.Key} exists already");
                continue;
            }
            if (status is not null)
            {
                created.Status = status;
                await gateway.ReplaceBackupSessionStatusAsync(created, cancellationToken);
                logs.Add($"{session.Key} created as {status.Phase}: {status.Message}");
            }
            else
            {
                logs.Add($"{session.Key} created");
            }
        }
        foreach (var session in plan.ToDelete)
        {
            await gateway.DeleteBackupSessionAsync(session.Metadata.NamespaceProperty ?? "default", session.Metadata.Name, cancellationToken);
            logs.Add($"{session.Key} deleted (history limit)");
        }
        foreach (var note in plan.Notes.Where(n => n.Error is not null && n.Configuration.Status?.Message != n.Error))
        {
            var configuration = note.Configuration;
            configuration.Status = (configuration.Status ?? new BackupConfigurationStatus()) with { Message = note.Error };
            try
            {
                await gateway.ReplaceConfigurationStatusAsync(configuration, cancellationToken);
            }
            catch (ConflictException)
            {
                // Changed meanwhile: the next tick writes it again.
            }
            logs.Add(note.Error!);
        }
        return logs;
    }
}
