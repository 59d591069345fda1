using System.Security.Cryptography;
using System.Text;
using Serverless.Backup.Control;
using Serverless.Backup.Control.Settings;

namespace Serverless.Backup.Standalone;

/// <summary>
/// What the Functions host's function keys do, for the standalone server: every route but the health probe and the
/// runner's webhook (which is signed per session) needs BACKUP_API_KEY, in the x-functions-key header or the code
/// query parameter, as a function key would be sent.
/// </summary>
public sealed class ApiKeyFilter(AppSettings settings) : IEndpointFilter
{
    public const string Header = "x-functions-key";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        var given = request.Headers[Header].FirstOrDefault() ?? request.Query["code"].FirstOrDefault();
        if (given is null || settings.ApiKey is not { } key
            || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(key)))
        {
            return StandaloneRoutes.Answer(ApiResult.Error(401, $"missing or wrong API key: send BACKUP_API_KEY in the {Header} header"));
        }
        return await next(context);
    }
}
