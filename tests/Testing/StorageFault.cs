namespace Serverless.Backup.Testing;

/// <summary>What a <see cref="FaultProxy"/> does to the connections through it.</summary>
public enum StorageFault
{
    /// <summary>Passes everything through.</summary>
    None,
    /// <summary>Answers every request 503 Service Unavailable (Azure's ServerBusy) and closes the connection.</summary>
    Unavailable,
    /// <summary>Resets every connection (TCP RST) as soon as it is open, and resets the open ones.</summary>
    Reset,
    /// <summary>Holds every connection open and moves no byte, in either direction.</summary>
    Stall,
    /// <summary>The storage died: connections are refused, and the open ones are reset.</summary>
    Down,
}
