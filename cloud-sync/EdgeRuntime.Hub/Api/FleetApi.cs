using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using EdgeRuntime.Contracts.Fleet;

namespace EdgeRuntime.Hub.Api;

/// <summary>The fleet HTTP API: <c>GET /healthz</c> open, everything under <c>/api</c> behind the bearer token.</summary>
internal static class FleetApi
{
    public static WebApplication MapFleetApi(this WebApplication app)
    {
        app.MapGet("/healthz", () => Results.Json(new HealthResponse("ok"), FleetJsonContext.Default.HealthResponse));
        var api = app.MapGroup("/api").AddEndpointFilter<ApiTokenFilter>();
        DeviceEndpoints.Map(api);
        ModelEndpoints.Map(api);
        AssignmentEndpoints.Map(api);
        DeploymentEndpoints.Map(api);
        RecordEndpoints.Map(api);
        CommandEndpoints.Map(api);
        return app;
    }

    /// <summary>Reads a JSON body; null (and the error to return) when it is missing or malformed.</summary>
    public static async Task<(T? Body, IResult? Error)> ReadBodyAsync<T>(HttpRequest request, JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            var body = await JsonSerializer.DeserializeAsync(request.Body, type, request.HttpContext.RequestAborted);
            return body is null ? (null, ApiErrors.BadRequest("a JSON body is required")) : (body, null);
        }
        catch (JsonException ex)
        {
            return (null, ApiErrors.BadRequest($"malformed JSON body: {ex.Message}"));
        }
    }
}
