using System.Globalization;
using EdgeRuntime.Contracts.Fleet;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Hub.Hosting;
using EdgeRuntime.Hub.Registry;
using EdgeRuntime.Hub.Signing;
using EdgeRuntime.Hub.Storage;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Hub.Api;

/// <summary>
/// <c>/api/models</c>: upload versions (an <c>.edgepkg</c> package or raw ONNX bytes, stored as a hub-signed package), list,
/// retire; <c>/api/signing-key</c>: the public key devices verify those packages with.
/// </summary>
internal static class ModelEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPut("/models/{name}/versions/{version}", UploadAsync);
        api.MapPost("/models/{name}/versions/{version}", UploadAsync);
        api.MapGet("/signing-key", (HubSigningKey key) =>
            Results.Json(new SigningKeyResponse { KeyId = key.KeyId, PublicKeyPem = key.PublicKeyPem }, FleetJsonContext.Default.SigningKeyResponse));
        api.MapGet("/models", (HubStore store) =>
        {
            IReadOnlyList<ModelSummary> models = [.. store.ListModelVersions()
                .GroupBy(v => v.Name, StringComparer.Ordinal)
                .Select(g => new ModelSummary { Name = g.Key, Versions = [.. g.Select(v => Text(v.Version))] })];
            return Results.Json(models, FleetJsonContext.Default.IReadOnlyListModelSummary);
        });
        api.MapGet("/models/{name}/versions", (string name, HubStore store) =>
        {
            var versions = store.ListModelVersions(name);
            if (versions.Count == 0)
            {
                return ApiErrors.NotFound($"model '{name}' has no versions");
            }

            IReadOnlyList<ModelVersionResponse> list = [.. versions.Select(v => Response(v, store.GetArtifact(v.ArtifactId)!))];
            return Results.Json(list, FleetJsonContext.Default.IReadOnlyListModelVersionResponse);
        });
        api.MapPost("/models/{name}/versions/{version}/retire", (string name, string version, HubStore store) =>
        {
            if (!ModelRegistry.TryParseVersion(version, out var number) || store.GetModelVersion(name, number) is not { } row)
            {
                return ApiErrors.NotFound($"model '{name}' version {version} is not registered");
            }

            if (store.IsVersionAssigned(name, number))
            {
                return ApiErrors.Conflict($"model '{name}' version {version} is assigned; delete its assignments first");
            }

            store.RetireModelVersion(name, number);
            row.Retired = true;
            return Results.Json(Response(row, store.GetArtifact(row.ArtifactId)!), FleetJsonContext.Default.ModelVersionResponse);
        });
    }

    public static string Text(long version) => version.ToString(CultureInfo.InvariantCulture);

    private static ModelVersionResponse Response(ModelVersionRow row, ArtifactRow artifact) => new()
    {
        Name = row.Name,
        Version = Text(row.Version),
        Artifact = new ArtifactDescriptor { Id = artifact.Id, Sha256 = artifact.Id, Size = artifact.Size, Format = artifact.Format },
        CreatedMs = row.CreatedMs,
        Retired = row.Retired,
    };

    private static async Task<IResult> UploadAsync(string name, string version, HttpContext context, ModelRegistry models, IOptions<HubOptions> options)
    {
        if (!ModelRegistry.IsValidName(name))
        {
            return ApiErrors.BadRequest($"model name '{name}' is not valid: letters, digits, '.', '_' or '-'");
        }

        if (!ModelRegistry.TryParseVersion(version, out var number))
        {
            return ApiErrors.BadRequest($"version '{version}' is not a positive integer");
        }

        var maxBytes = options.Value.Artifacts.MaxBytes;
        if (context.Request.ContentLength > maxBytes)
        {
            return ApiErrors.Error(StatusCodes.Status413PayloadTooLarge, $"the artifact is larger than Hub:Artifacts:MaxBytes ({maxBytes} bytes)");
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }

        var (outcome, row, artifact, reason) = await models.UploadAsync(name, number, context.Request.Body, context.RequestAborted);
        return outcome switch
        {
            ModelUploadOutcome.Rejected => ApiErrors.BadRequest($"refused: {reason}"),
            ModelUploadOutcome.TooLarge => ApiErrors.Error(StatusCodes.Status413PayloadTooLarge, $"the artifact is larger than Hub:Artifacts:MaxBytes ({maxBytes} bytes)"),
            ModelUploadOutcome.Conflict => ApiErrors.Conflict($"model '{name}' version {version} exists with other content (artifact {row!.ArtifactId})"),
            ModelUploadOutcome.Created => Results.Json(Response(row!, artifact!), FleetJsonContext.Default.ModelVersionResponse, statusCode: StatusCodes.Status201Created),
            _ => Results.Json(Response(row!, artifact!), FleetJsonContext.Default.ModelVersionResponse),
        };
    }
}
