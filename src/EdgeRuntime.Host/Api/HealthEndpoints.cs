using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Inference;
using EdgeRuntime.Device.Deployment;

namespace EdgeRuntime.Host.Api;

/// <summary>OIP health probes and server metadata: <c>/v2/health/live</c>, <c>/v2/health/ready</c>, <c>/v2</c>.</summary>
internal static class HealthEndpoints
{
    /// <summary>The protocol extensions this server implements, as reported in server metadata.</summary>
    public static readonly IReadOnlyList<string> Extensions = ["binary_tensor_data", "model_repository", "statistics"];

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v2/health/live", Live);
        app.MapGet("/v2/health/ready", Ready);
        app.MapGet("/v2", ServerMetadata);
        return app;
    }

    private static Task Live(HttpContext context) =>
        ApiResults.WriteJsonAsync(context, new LiveResponse(true), ContractsJsonContext.Default.LiveResponse);

    private static Task Ready(HttpContext context)
    {
        var watcher = context.RequestServices.GetRequiredService<RepositoryWatcher>();
        var repository = context.RequestServices.GetRequiredService<ModelRepository>();
        var ready = watcher.InitialScan.IsCompleted && repository.IsReady;
        return ApiResults.WriteJsonAsync(
            context,
            new ReadyResponse(ready),
            ContractsJsonContext.Default.ReadyResponse,
            ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private static Task ServerMetadata(HttpContext context) =>
        ApiResults.WriteJsonAsync(
            context,
            new ServerMetadataResponse("edge-runtime", ServerInfo.Version, Extensions),
            ContractsJsonContext.Default.ServerMetadataResponse);
}
