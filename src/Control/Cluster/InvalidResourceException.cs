namespace Serverless.Backup.Control.Cluster;

/// <summary>A resource that was asked for by name exists but cannot be read (see <see cref="InvalidResource"/>).</summary>
public sealed class InvalidResourceException(InvalidResource resource) : Exception(resource.ToString())
{
    public InvalidResource Resource { get; } = resource;
}
