namespace Serverless.Backup.Control;

/// <summary>The body of StartMaintenance.</summary>
public sealed record MaintenanceRequest
{
    /// <summary>check, forget, unlock or verify.</summary>
    public string? Task { get; init; }
    public string? Name { get; init; }
    /// <summary>check: restic's --read-data-subset (default: the Repository's spec.check.readDataSubset).</summary>
    public string? ReadDataSubset { get; init; }
    /// <summary>forget: the BackupConfiguration whose retention policy to apply; verify: the one whose backups to verify.</summary>
    public string? Configuration { get; init; }
    public string? TimeOut { get; init; }
}
