namespace EdgeRuntime.Host.Api;

/// <summary>
/// Maps the whole loopback API: the Open Inference Protocol and its repository and statistics extensions, <c>/metrics</c>,
/// and the device's own <c>/v2/edge/...</c> calls (telemetry, rollouts, batch jobs).
/// </summary>
internal static class ApiEndpointRouteBuilderExtensions
{
    public static WebApplication MapEdgeRuntimeApi(this WebApplication app)
    {
        app.UseMiddleware<AccessTokenMiddleware>();
        app.MapHealthEndpoints();
        app.MapModelEndpoints();
        app.MapInferEndpoints();
        app.MapStatisticsEndpoints();
        app.MapRepositoryEndpoints();
        app.MapMetricsEndpoints();
        app.MapEdgeEndpoints();
        app.MapRolloutEndpoints();
        app.MapBatchEndpoints();
        return app;
    }
}
