using System.Text.Json;
using EdgeRuntime.Contracts.Fleet;
using EdgeRuntime.Hub.Desired;
using EdgeRuntime.Hub.Registry;
using EdgeRuntime.Hub.Storage;

namespace EdgeRuntime.Hub.Api;

/// <summary><c>/api/assignments</c>: which model versions devices (by id or tag) should serve.</summary>
internal static class AssignmentEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/assignments", CreateAsync);
        api.MapGet("/assignments", (HubStore store) =>
        {
            IReadOnlyList<AssignmentResponse> list = [.. store.ListAssignments().Select(a => Response(a, null))];
            return Results.Json(list, FleetJsonContext.Default.IReadOnlyListAssignmentResponse);
        });
        api.MapDelete("/assignments/{id:long}", async (long id, HubStore store, DesiredStateService desired) =>
        {
            if (store.GetAssignment(id) is not { } assignment || !store.DeleteAssignment(id))
            {
                return ApiErrors.NotFound($"assignment {id} does not exist");
            }

            var changed = await desired.RefreshAsync(Affected(store, assignment));
            return Results.Json(Response(assignment, changed), FleetJsonContext.Default.AssignmentResponse);
        });
    }

    private static List<DeviceRow> Affected(HubStore store, AssignmentRow assignment) => assignment.DeviceId is { } deviceId
        ? store.GetDevice(deviceId) is { } device ? [device] : []
        : store.ListDevices(assignment.Tag);

    private static AssignmentResponse Response(AssignmentRow row, IReadOnlyList<DeviceRevision>? devices) => new()
    {
        Id = row.Id,
        Model = row.Model,
        Version = ModelEndpoints.Text(row.Version),
        DeviceId = row.DeviceId,
        Tag = row.Tag,
        Strategy = row.Strategy,
        Rollout = DesiredStateService.RolloutOf(row),
        CreatedMs = row.CreatedMs,
        Devices = devices,
    };

    private static async Task<IResult> CreateAsync(HttpRequest request, HubStore store, DesiredStateService desired, TimeProvider time)
    {
        var (body, error) = await FleetApi.ReadBodyAsync(request, FleetJsonContext.Default.AssignmentRequest);
        if (body is null)
        {
            return error!;
        }

        if (body.Model is null || !ModelRegistry.TryParseVersion(body.Version, out var version))
        {
            return ApiErrors.BadRequest("model and version (a positive integer) are required");
        }

        if ((body.DeviceId is null) == (body.Tag is null))
        {
            return ApiErrors.BadRequest("give exactly one of device_id and tag");
        }

        var (rollout, rolloutError) = RolloutValidation.Resolve(body.Strategy, body.Rollout);
        if (rollout is null)
        {
            return ApiErrors.BadRequest(rolloutError!);
        }

        if (store.GetModelVersion(body.Model, version) is not { } modelVersion)
        {
            return ApiErrors.NotFound($"model '{body.Model}' version {body.Version} is not registered");
        }

        if (modelVersion.Retired)
        {
            return ApiErrors.Conflict($"model '{body.Model}' version {body.Version} is retired");
        }

        if (body.DeviceId is not null && store.GetDevice(body.DeviceId) is null)
        {
            return ApiErrors.NotFound($"device '{body.DeviceId}' is not registered");
        }

        if (body.Tag is not null && !DeviceRegistry.IsValidTag(body.Tag))
        {
            return ApiErrors.BadRequest($"tag '{body.Tag}' is not valid");
        }

        var row = new AssignmentRow
        {
            Model = body.Model,
            Version = version,
            DeviceId = body.DeviceId,
            Tag = body.Tag,
            Strategy = rollout.Strategy,
            Rollout = JsonSerializer.Serialize(rollout, FleetJsonContext.Default.RolloutSpec),
            CreatedMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        row.Id = store.AddAssignment(row);
        var changed = await desired.RefreshAsync(Affected(store, row));
        return Results.Json(Response(row, changed), FleetJsonContext.Default.AssignmentResponse, statusCode: StatusCodes.Status201Created);
    }
}
