using EdgeRuntime.Contracts.Fleet;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Hub.Deployments;
using EdgeRuntime.Hub.Registry;
using EdgeRuntime.Hub.Storage;

namespace EdgeRuntime.Hub.Api;

/// <summary>
/// <c>/api/deployments</c>: roll a model version out to a group of devices in rings, watch its progress, and halt,
/// resume, advance, roll back or cancel it. The changing calls run to the end even when the caller leaves, so a
/// deployment's step never stops between being saved and reaching the devices.
/// </summary>
internal static class DeploymentEndpoints
{
    private const int MaxRingBakeSeconds = 30 * 24 * 3600;

    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/deployments", CreateAsync);
        api.MapGet("/deployments", (string? model, string? state, HubStore store, DeploymentService deployments) =>
        {
            IReadOnlyList<DeploymentResponse> list = [.. store.ListDeployments(model, state).Select(deployments.Describe)];
            return Results.Json(list, FleetJsonContext.Default.IReadOnlyListDeploymentResponse);
        });
        api.MapGet("/deployments/{id}", (string id, HubStore store, DeploymentService deployments) => store.GetDeployment(id) is { } deployment
            ? Results.Json(deployments.Describe(deployment), FleetJsonContext.Default.DeploymentResponse)
            : ApiErrors.NotFound($"deployment '{id}' does not exist"));
        api.MapGet("/deployments/{id}/devices", (string id, HubStore store) =>
        {
            if (store.GetDeployment(id) is not { } deployment)
            {
                return ApiErrors.NotFound($"deployment '{id}' does not exist");
            }

            IReadOnlyList<DeploymentDevice> members = [.. store.ListMembers(id).Select(m => new DeploymentDevice
            {
                DeviceId = m.DeviceId,
                Ring = m.Ring,
                Reached = m.Ring <= deployment.CurrentRing,
                Outcome = m.Outcome,
                Reason = m.Reason,
                UpdatedMs = m.UpdatedMs,
            })];
            return Results.Json(members, FleetJsonContext.Default.IReadOnlyListDeploymentDevice);
        });
        api.MapPost("/deployments/{id}/halt", async (string id, DeploymentService deployments) => Result(deployments, await deployments.HaltAsync(id)));
        api.MapPost("/deployments/{id}/resume", async (string id, DeploymentService deployments) => Result(deployments, await deployments.ResumeAsync(id)));
        api.MapPost("/deployments/{id}/advance", async (string id, DeploymentService deployments) => Result(deployments, await deployments.AdvanceAsync(id)));
        api.MapPost("/deployments/{id}/rollback", async (string id, DeploymentService deployments) => Result(deployments, await deployments.RollBackAsync(id)));
        api.MapPost("/deployments/{id}/cancel", async (string id, DeploymentService deployments) => Result(deployments, await deployments.CancelAsync(id)));
    }

    private static IResult Result(DeploymentService deployments, DeploymentResult result) => result.Deployment is { } deployment
        ? Results.Json(deployments.Describe(deployment), FleetJsonContext.Default.DeploymentResponse, statusCode: result.StatusCode)
        : ApiErrors.Error(result.StatusCode, result.Error!);

    private static async Task<IResult> CreateAsync(HttpRequest request, HttpResponse response, HubStore store, DeploymentService deployments)
    {
        var (body, error) = await FleetApi.ReadBodyAsync(request, FleetJsonContext.Default.DeploymentRequest);
        if (body is null)
        {
            return error!;
        }

        var (plan, planError) = Plan(body, store);
        if (plan is null)
        {
            return planError!;
        }

        var result = await deployments.CreateAsync(plan);
        if (result.Deployment is { } created)
        {
            response.Headers.Location = $"/api/deployments/{created.Id}";
        }

        return Result(deployments, result);
    }

    /// <summary>The request checked and completed with defaults, or the error: 400 for what is malformed, 404 for what is unknown, 409 for a retired version.</summary>
    private static (DeploymentPlan? Plan, IResult? Error) Plan(DeploymentRequest body, HubStore store)
    {
        if (body.Model is null || !ModelRegistry.TryParseVersion(body.Version, out var version))
        {
            return (null, ApiErrors.BadRequest("model and version (a positive integer) are required"));
        }

        if (body.Id is { } requestedId && !SyncTopics.IsValidDeviceId(requestedId))
        {
            return (null, ApiErrors.BadRequest($"id '{requestedId}' is not valid: 1-{SyncTopics.MaxDeviceIdLength} letters, digits, '-', '_' or '.'"));
        }

        var deviceIds = body.DeviceIds?.Distinct(StringComparer.Ordinal).ToList();
        if (body.Tag is null && deviceIds is not { Count: > 0 })
        {
            return (null, ApiErrors.BadRequest("give tag and/or device_ids: the devices to deploy to"));
        }

        if (body.Tag is not null && !DeviceRegistry.IsValidTag(body.Tag))
        {
            return (null, ApiErrors.BadRequest($"tag '{body.Tag}' is not valid"));
        }

        var rings = body.Rings ?? DeploymentRings.Default;
        if (DeploymentRings.Invalid(rings) is { } ringError)
        {
            return (null, ApiErrors.BadRequest(ringError));
        }

        var success = body.SuccessThreshold ?? 1.0;
        if (!(success > 0 && success <= 1))
        {
            return (null, ApiErrors.BadRequest($"success_threshold must be above 0 and at most 1 (was {success})"));
        }

        var errorThreshold = body.ErrorThreshold ?? 0.0;
        if (!(errorThreshold >= 0 && errorThreshold < 1))
        {
            return (null, ApiErrors.BadRequest($"error_threshold must be at least 0 and below 1 (was {errorThreshold})"));
        }

        var bake = body.RingBakeSeconds ?? 0;
        if (bake is < 0 or > MaxRingBakeSeconds)
        {
            return (null, ApiErrors.BadRequest($"ring_bake_seconds must be between 0 and {MaxRingBakeSeconds} (was {bake})"));
        }

        var (rollout, rolloutError) = RolloutValidation.Resolve(null, body.Rollout);
        if (rollout is null)
        {
            return (null, ApiErrors.BadRequest(rolloutError!));
        }

        if (store.GetModelVersion(body.Model, version) is not { } modelVersion)
        {
            return (null, ApiErrors.NotFound($"model '{body.Model}' version {body.Version} is not registered"));
        }

        if (modelVersion.Retired)
        {
            return (null, ApiErrors.Conflict($"model '{body.Model}' version {body.Version} is retired"));
        }

        var members = new List<string>();
        foreach (var deviceId in deviceIds ?? [])
        {
            if (store.GetDevice(deviceId) is null)
            {
                return (null, ApiErrors.NotFound($"device '{deviceId}' is not registered"));
            }

            members.Add(deviceId);
        }

        if (body.Tag is { } tag)
        {
            members = [.. members.Union(store.ListDevices(tag).Select(d => d.Id), StringComparer.Ordinal)];
            if (members.Count == 0)
            {
                return (null, ApiErrors.BadRequest($"no target devices: no registered device has tag '{tag}'"));
            }
        }

        var id = body.Id ?? Guid.NewGuid().ToString("N")[..12];
        return (new DeploymentPlan(id, body.Model, version, body.Tag, deviceIds is { Count: > 0 } ? deviceIds : null, members, rollout,
            rings, success, errorThreshold, bake), null);
    }
}
