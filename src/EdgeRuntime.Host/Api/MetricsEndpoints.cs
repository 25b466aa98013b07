using EdgeRuntime.Device.Telemetry;

namespace EdgeRuntime.Host.Api;

/// <summary><c>GET /metrics</c>: every device metric in the Prometheus text exposition format.</summary>
internal static class MetricsEndpoints
{
    private const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static IEndpointRouteBuilder MapMetricsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", Export);
        return app;
    }

    private static async Task Export(HttpContext context)
    {
        var metrics = context.RequestServices.GetRequiredService<DeviceMetrics>();
        context.Response.ContentType = ContentType;
        await metrics.ExportAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }
}
