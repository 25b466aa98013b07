using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Host.Api;

/// <summary>
/// Bearer-token checks: the access token (when configured) for every call but the health probes, and the
/// admin token (when configured) for calls that change the device.
/// </summary>
internal sealed class AccessTokenMiddleware
{
    private readonly RequestDelegate _next;
    private readonly byte[]? _accessToken;
    private readonly byte[]? _adminToken;

    public AccessTokenMiddleware(RequestDelegate next, IOptions<ApiOptions> options)
    {
        _next = next;
        _accessToken = Bytes(options.Value.AccessToken);
        _adminToken = Bytes(options.Value.AdminToken);
    }

    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (path.StartsWithSegments("/v2/health"))
        {
            return _next(context);
        }

        var changesDevice = HttpMethods.IsPost(context.Request.Method)
            && (path.StartsWithSegments("/v2/repository/models") || path.StartsWithSegments("/v2/edge/rollouts") || path.StartsWithSegments(BatchEndpoints.JobsPath));
        if (changesDevice && _adminToken is not null)
        {
            return Presents(context, _adminToken) ? _next(context) : Deny(context, StatusCodes.Status403Forbidden, "this call changes the device and needs the admin token");
        }

        if (_accessToken is not null && !Presents(context, _accessToken) && !(_adminToken is not null && Presents(context, _adminToken)))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return Deny(context, StatusCodes.Status401Unauthorized, "missing or wrong bearer token");
        }

        return _next(context);
    }

    private static bool Presents(HttpContext context, byte[] token)
    {
        var header = context.Request.Headers.Authorization.ToString();
        const string Prefix = "Bearer ";
        if (!header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[Prefix.Length..].Trim()), token);
    }

    private static Task Deny(HttpContext context, int status, string message) => ApiResults.WriteErrorAsync(context, status, message);

    private static byte[]? Bytes(string? token) => string.IsNullOrEmpty(token) ? null : Encoding.UTF8.GetBytes(token);
}
