using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Inference;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Serving;

namespace EdgeRuntime.Host.Api;

/// <summary>
/// Triton's statistics extension: <c>GET /v2/models/stats</c>, <c>/v2/models/{model}/stats</c> and
/// <c>/v2/models/{model}/versions/{version}/stats</c> — per loaded version, requests by outcome, queue and
/// compute time, runs by batch size, and response cache hits and misses.
/// </summary>
internal static class StatisticsEndpoints
{
    public static IEndpointRouteBuilder MapStatisticsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v2/models/stats", All);
        app.MapGet("/v2/models/{model}/stats", Model);
        app.MapGet("/v2/models/{model}/versions/{version}/stats", Model);
        return app;
    }

    private static Task All(HttpContext context)
    {
        var repository = context.RequestServices.GetRequiredService<ModelRepository>();
        var entries = repository.Index().Select(e => e.Name).Distinct(StringComparer.Ordinal)
            .SelectMany(name => Loaded(repository, name))
            .ToList();
        return ApiResults.WriteJsonAsync(context, new ModelStatisticsResponse(entries), ContractsJsonContext.Default.ModelStatisticsResponse);
    }

    private static Task Model(HttpContext context)
    {
        var (model, version) = ModelEndpoints.RouteOf(context);
        var repository = context.RequestServices.GetRequiredService<ModelRepository>();
        if (version is null)
        {
            return repository.Find(model) is null
                ? ApiResults.WriteErrorAsync(context, InferenceException.NotFound($"unknown model '{model}'"))
                : ApiResults.WriteJsonAsync(context, new ModelStatisticsResponse([.. Loaded(repository, model)]), ContractsJsonContext.Default.ModelStatisticsResponse);
        }

        ModelSession session;
        try
        {
            session = context.RequestServices.GetRequiredService<ModelRouter>().Describe(model, version);
        }
        catch (InferenceException ex)
        {
            return ApiResults.WriteErrorAsync(context, ex);
        }

        try
        {
            return ApiResults.WriteJsonAsync(context, new ModelStatisticsResponse([session.Statistics.Snapshot(model, session.Version)]), ContractsJsonContext.Default.ModelStatisticsResponse);
        }
        finally
        {
            session.Release();
        }
    }

    private static IEnumerable<ModelStatisticsEntry> Loaded(ModelRepository repository, string model) =>
        (repository.Find(model) ?? [])
            .Where(v => v.Session is not null)
            .OrderBy(v => v.Version)
            .Select(v => v.Session!.Statistics.Snapshot(model, v.Session.Version));
}
