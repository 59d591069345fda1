using System.Text.Json;
using k8s.Models;
using Serverless.Backup.Core.Environment;
using Serverless.Backup.Control.Resources;

namespace Serverless.Backup.Control.Jobs;

/// <summary>The verify verb's settings, and where the database endpoints come from.</summary>
public static partial class JobFactory
{
    private static readonly JsonSerializerOptions ChecksJson = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// VERIFY_* of a verify session: the scratch server of spec.verification.target (its credentials come through
    /// secretKeyRefs), else none, so that the runner uses the source server under scratch database names.
    /// </summary>
    private static VerifySettings VerifySettingsFor(JobRequest request, V1ObjectMeta session)
    {
        var verification = request.Configuration?.Spec.Verification ?? new VerificationSpec();
        var (host, port) = request.VerifyAppBinding is { } scratch ? Endpoint(scratch, session.NamespaceProperty ?? "default") : ((string?)null, (int?)null);
        return new VerifySettings
        {
            Host = host,
            Port = port,
            DatabasePrefix = verification.DatabasePrefix ?? VerificationSpec.DefaultPrefix,
            Checks = verification.Checks is { Count: > 0 } checks ? JsonSerializer.Serialize(checks.Select(c => c.ToRunner()), ChecksJson) : null,
        };
    }

    /// <summary>The database's host and port from the AppBinding (a Service, or a URL such as tcp(host:port)/ or mysql://host:port).</summary>
    public static (string Host, int Port) Endpoint(AppBinding binding, string defaultNamespace)
    {
        var config = binding.Spec.ClientConfig;
        if (config.Service is { Name: { } service } svc)
        {
            return ($"{service}.{svc.Namespace ?? binding.Metadata.NamespaceProperty ?? defaultNamespace}.svc", svc.Port ?? 3306);
        }
        if (config.Url is { } url)
        {
            // tcp(host:port)/ as KubeDB writes it; an unclosed "tcp(" is not a URL (the error below names the field).
            var text = url.StartsWith("tcp(", StringComparison.Ordinal) ? (url.IndexOf(')') is > 4 and var end ? url[4..end] : "") : url;
            if (!text.Contains("://", StringComparison.Ordinal))
            {
                text = "mysql://" + text;
            }
            if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Host.Length > 0)
            {
                return (uri.Host, uri.Port > 0 ? uri.Port : 3306);
            }
        }
        throw new ArgumentException($"AppBinding {binding.Namespace}/{binding.Name} has neither spec.clientConfig.service.name nor a spec.clientConfig.url with a host: set one of them");
    }
}
