namespace Serverless.Backup.Control.Endpoints;

/// <summary>
/// docs/openapi.json, built into this assembly: what the Functions app answers to OpenApiDocument, so that both apps
/// serve one document. The standalone server generates it from its endpoints (scripts/openapi.sh writes it), and
/// a test fails while the checked-in file differs from what the server generates.
/// </summary>
public static class ApiDocument
{
    public const string ResourceName = "openapi.json";

    private static readonly Lazy<string> Text = new(() =>
    {
        using var stream = typeof(ApiDocument).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the resource {ResourceName} (docs/openapi.json) is not built into {typeof(ApiDocument).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public static string Json => Text.Value;
}
