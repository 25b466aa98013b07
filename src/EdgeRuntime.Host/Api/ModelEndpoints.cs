using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Inference;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Serving;

namespace EdgeRuntime.Host.Api;

/// <summary>OIP model metadata and model readiness, with and without a version.</summary>
internal static class ModelEndpoints
{
    /// <summary>The protocol's platform name for ONNX models run by ONNX Runtime.</summary>
    public const string Platform = "onnx_onnxv1";

    public static IEndpointRouteBuilder MapModelEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v2/models/{model}", Metadata);
        app.MapGet("/v2/models/{model}/versions/{version}", Metadata);
        app.MapGet("/v2/models/{model}/ready", Ready);
        app.MapGet("/v2/models/{model}/versions/{version}/ready", Ready);
        return app;
    }

    private static async Task Metadata(HttpContext context)
    {
        var (model, version) = RouteOf(context);
        var router = context.RequestServices.GetRequiredService<ModelRouter>();
        var repository = context.RequestServices.GetRequiredService<ModelRepository>();
        ModelSession session;
        try
        {
            session = router.Describe(model, version);
        }
        catch (InferenceException ex)
        {
            await ApiResults.WriteErrorAsync(context, ex).ConfigureAwait(false);
            return;
        }

        try
        {
            var versions = repository.Find(model)?.Where(v => v.State == ModelState.Ready).Select(v => v.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
            var parameters = new Dictionary<string, string>(session.Properties)
            {
                ["version"] = session.Version,
                ["execution_provider"] = session.ExecutionProvider,
                ["max_concurrent_runs"] = session.MaxConcurrentRuns.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["dynamic_batching"] = ModelRouter.BatcherOf(session) is { } batcher
                    ? $"max_batch_size {batcher.Options.MaxBatchSize}, max_queue_delay {batcher.Options.MaxQueueDelay.TotalMicroseconds:F0} µs"
                    : "off",
                ["response_cache"] = context.RequestServices.GetRequiredService<ResponseCache>().IsEnabledFor(session) ? "on" : "off",
            };
            if (session.SkippedProviders.Count > 0)
            {
                parameters["execution_providers_skipped"] = string.Join("; ", session.SkippedProviders.Select(s => $"{s.Provider}: {s.Reason}"));
            }

            var response = new ModelMetadataResponse
            {
                Name = model,
                Versions = versions,
                Platform = Platform,
                Inputs = [.. session.Inputs.Select(Describe)],
                Outputs = [.. session.Outputs.Select(Describe)],
                Parameters = parameters,
            };
            await ApiResults.WriteJsonAsync(context, response, ContractsJsonContext.Default.ModelMetadataResponse).ConfigureAwait(false);
        }
        finally
        {
            session.Release();
        }
    }

    private static Task Ready(HttpContext context)
    {
        var (model, version) = RouteOf(context);
        var router = context.RequestServices.GetRequiredService<ModelRouter>();
        try
        {
            router.Describe(model, version).Release();
            return ApiResults.WriteJsonAsync(context, new ModelReadyResponse(model, true), ContractsJsonContext.Default.ModelReadyResponse);
        }
        catch (InferenceException ex) when (ex.Kind == InferenceErrorKind.Unavailable)
        {
            return ApiResults.WriteJsonAsync(context, new ModelReadyResponse(model, false), ContractsJsonContext.Default.ModelReadyResponse, StatusCodes.Status503ServiceUnavailable);
        }
        catch (InferenceException ex)
        {
            return ApiResults.WriteErrorAsync(context, ex);
        }
    }

    internal static (string Model, string? Version) RouteOf(HttpContext context) =>
        ((string)context.Request.RouteValues["model"]!, context.Request.RouteValues["version"] as string);

    private static MetadataTensor Describe(TensorMetadata tensor) => new(tensor.Name, tensor.DataType.ToWireName(), tensor.Shape);
}
