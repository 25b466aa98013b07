using System.Text.Json;
using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Inference;
using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Host.Api;

/// <summary>Triton's model repository extension: <c>/v2/repository/index</c>, <c>.../models/{model}/load</c> and <c>/unload</c>.</summary>
internal static class RepositoryEndpoints
{
    private const string FileParameterPrefix = "file:";

    public static IEndpointRouteBuilder MapRepositoryEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v2/repository/index", Index);
        app.MapPost("/v2/repository/models/{model}/load", Load);
        app.MapPost("/v2/repository/models/{model}/unload", Unload);
        return app;
    }

    private static async Task Index(HttpContext context)
    {
        try
        {
            var request = await RequestBody.ReadJsonAsync(context, ContractsJsonContext.Default.RepositoryIndexRequest).ConfigureAwait(false) ?? new RepositoryIndexRequest();
            var repository = context.RequestServices.GetRequiredService<ModelRepository>();
            IReadOnlyList<RepositoryIndexEntry> entries = [.. repository.Index()
                .Where(e => !request.Ready || e.State == ModelState.Ready)
                .Select(e => new RepositoryIndexEntry(e.Name, e.Version, e.State.ToString().ToUpperInvariant(), e.Reason))];
            await ApiResults.WriteJsonAsync(context, entries, ContractsJsonContext.Default.IReadOnlyListRepositoryIndexEntry).ConfigureAwait(false);
        }
        catch (InferenceException ex)
        {
            await ApiResults.WriteErrorAsync(context, ex).ConfigureAwait(false);
        }
    }

    private static async Task Load(HttpContext context)
    {
        var (model, _) = ModelEndpoints.RouteOf(context);
        try
        {
            var request = await RequestBody.ReadJsonAsync(context, ContractsJsonContext.Default.RepositoryModelRequest).ConfigureAwait(false);
            ModelConfig? config = null;
            var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var (key, value) in request?.Parameters ?? new Dictionary<string, JsonElement>())
            {
                if (key == "config")
                {
                    config = ParseConfig(value);
                }
                else if (key.StartsWith(FileParameterPrefix, StringComparison.Ordinal))
                {
                    files[key[FileParameterPrefix.Length..]] = DecodeFile(key, value);
                }
            }

            if (files.Count > 0 && config is null)
            {
                throw InferenceException.BadRequest("file parameters need a 'config' parameter as well, as the repository extension specifies");
            }

            await context.RequestServices.GetRequiredService<ModelRepository>().LoadAsync(model, config, files, context.RequestAborted).ConfigureAwait(false);
            context.Response.StatusCode = StatusCodes.Status200OK;
        }
        catch (InferenceException ex)
        {
            await ApiResults.WriteErrorAsync(context, ex).ConfigureAwait(false);
        }
    }

    private static async Task Unload(HttpContext context)
    {
        var (model, _) = ModelEndpoints.RouteOf(context);
        try
        {
            await RequestBody.ReadJsonAsync(context, ContractsJsonContext.Default.RepositoryModelRequest).ConfigureAwait(false);
            await context.RequestServices.GetRequiredService<ModelRepository>().UnloadAsync(model, context.RequestAborted).ConfigureAwait(false);
            context.Response.StatusCode = StatusCodes.Status200OK;
        }
        catch (InferenceException ex)
        {
            await ApiResults.WriteErrorAsync(context, ex).ConfigureAwait(false);
        }
    }

    private static ModelConfig ParseConfig(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            throw InferenceException.BadRequest("parameter 'config' must be a string holding the model configuration as JSON");
        }

        try
        {
            return JsonSerializer.Deserialize(value.GetString()!, ContractsJsonContext.Default.ModelConfig)
                ?? throw InferenceException.BadRequest("parameter 'config' holds no configuration");
        }
        catch (JsonException ex)
        {
            throw InferenceException.BadRequest($"parameter 'config' is not valid JSON: {ex.Message}");
        }
    }

    private static byte[] DecodeFile(string key, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String && value.TryGetBytesFromBase64(out var bytes))
        {
            return bytes;
        }

        throw InferenceException.BadRequest($"parameter '{key}' must be the file's content in base64");
    }
}
