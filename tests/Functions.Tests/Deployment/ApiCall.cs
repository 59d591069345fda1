namespace Serverless.Backup.Functions.Tests.Deployment;

/// <summary>One Kubernetes API request in RBAC terms: API group ("" for the core group), resource (with "/subresource"), verb.</summary>
public sealed record ApiCall(string Group, string Resource, string Verb)
{
    /// <summary>Maps a request ("METHOD /path") to what RBAC authorizes, as the API server's request-info resolver does.</summary>
    public static ApiCall? FromRequest(string request)
    {
        var method = request[..request.IndexOf(' ', StringComparison.Ordinal)];
        var parts = request[(method.Length + 1)..].Split('?')[0].Trim('/').Split('/');
        string group;
        int at;
        if (parts is ["api", _, ..])
        {
            (group, at) = ("", 2);
        }
        else if (parts is ["apis", _, _, ..])
        {
            (group, at) = (parts[1], 3);
        }
        else
        {
            return null;
        }
        var rest = parts[at..];
        if (rest is ["namespaces", _, _, ..])
        {
            rest = rest[2..];
        }
        if (rest.Length == 0)
        {
            return null;
        }
        var resource = rest.Length > 2 ? $"{rest[0]}/{rest[2]}" : rest[0];
        var named = rest.Length > 1;
        var verb = method switch
        {
            "GET" => named ? "get" : "list",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => named ? "delete" : "deletecollection",
            _ => method.ToLowerInvariant(),
        };
        return new ApiCall(group, resource, verb);
    }

    public override string ToString() => $"{(Group.Length == 0 ? "core" : Group)} {Resource} {Verb}";
}
