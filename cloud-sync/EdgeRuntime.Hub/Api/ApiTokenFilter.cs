using EdgeRuntime.Hub.Hosting;

namespace EdgeRuntime.Hub.Api;

/// <summary>Refuses <c>/api/*</c> calls without the hub's bearer token with 401.</summary>
internal sealed class ApiTokenFilter(ApiToken token) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (!token.Accepts(context.HttpContext.Request.Headers.Authorization))
        {
            context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return ValueTask.FromResult<object?>(ApiErrors.Error(StatusCodes.Status401Unauthorized, "missing or wrong bearer token"));
        }

        return next(context);
    }
}
