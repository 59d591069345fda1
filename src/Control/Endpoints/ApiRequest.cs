namespace Serverless.Backup.Control.Endpoints;

/// <summary>
/// An HTTP request as the control plane sees it, whichever host received it: the route's values, the query, the
/// headers and the whole body (already bounded by the host to <see cref="SessionEvents.MaxBodyBytes"/>).
/// </summary>
public sealed record ApiRequest(
    IReadOnlyDictionary<string, string?> Route,
    Func<string, string?> Query,
    Func<string, string?> Header,
    byte[] Body)
{
    public string RouteValue(string key) => Route.TryGetValue(key, out var value) ? value ?? "" : "";
}
