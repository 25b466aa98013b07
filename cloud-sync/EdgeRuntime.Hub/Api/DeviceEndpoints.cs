using System.Text.Json;
using EdgeRuntime.Contracts.Fleet;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Hub.Broker;
using EdgeRuntime.Hub.Desired;
using EdgeRuntime.Hub.Hosting;
using EdgeRuntime.Hub.Registry;
using EdgeRuntime.Hub.Storage;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Hub.Api;

/// <summary><c>/api/devices</c>: register, list with status, tags, credentials, delete, desired state.</summary>
internal static class DeviceEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/devices", RegisterAsync);
        api.MapGet("/devices", (string? tag, HubStore store) =>
        {
            var statuses = store.ListStatuses().ToDictionary(s => s.DeviceId);
            var desired = store.ListDesired().ToDictionary(d => d.DeviceId, d => d.Revision);
            IReadOnlyList<DeviceSummary> list = [.. store.ListDevices(tag).Select(d => Summary(d, statuses.GetValueOrDefault(d.Id), desired.GetValueOrDefault(d.Id)))];
            return Results.Json(list, FleetJsonContext.Default.IReadOnlyListDeviceSummary);
        });
        api.MapGet("/devices/{id}", (string id, HubStore store) => store.GetDevice(id) is { } device
            ? Results.Json(Summary(device, store.GetStatus(id), store.GetDesired(id)?.Revision ?? 0), FleetJsonContext.Default.DeviceSummary)
            : ApiErrors.NotFound($"device '{id}' is not registered"));
        api.MapPut("/devices/{id}/tags", SetTagsAsync);
        api.MapPost("/devices/{id}/credentials", async (string id, DeviceRegistry registry, IHubTransport transport) =>
        {
            if (registry.Find(id) is not { } device || registry.Rotate(id) is not { } password)
            {
                return ApiErrors.NotFound($"device '{id}' is not registered");
            }

            await transport.DisconnectDeviceAsync(id);
            return Results.Json(Credentials(device, password), FleetJsonContext.Default.DeviceCredentialsResponse);
        });
        api.MapDelete("/devices/{id}", async (string id, DeviceRegistry registry, IHubTransport transport) =>
        {
            if (!registry.Delete(id))
            {
                return ApiErrors.NotFound($"device '{id}' is not registered");
            }

            await transport.DisconnectDeviceAsync(id);
            return Results.NoContent();
        });
        api.MapGet("/devices/{id}/desired", (string id, HubStore store, DesiredStateService desired) => store.GetDevice(id) is null
            ? ApiErrors.NotFound($"device '{id}' is not registered")
            : Results.Json(desired.Current(id) ?? new DesiredState { Revision = 0 }, FleetJsonContext.Default.DesiredState));
    }

    public static DeviceSummary Summary(DeviceRow device, DeviceStatusRow? status, long desiredRevision) => new()
    {
        Id = device.Id,
        Tags = device.TagList,
        CreatedMs = device.CreatedMs,
        Online = status?.State == SyncProtocol.Online,
        LastSeenMs = status?.LastSeenMs,
        RuntimeVersion = status?.RuntimeVersion,
        Profile = status?.Profile,
        AppliedRevision = status?.AppliedRevision ?? 0,
        DesiredRevision = desiredRevision,
        Models = status?.Models is { } models ? JsonSerializer.Deserialize(models, FleetJsonContext.Default.IReadOnlyListDeviceModelStatus) ?? [] : [],
        Rollouts = status?.Rollouts is { } rollouts ? JsonSerializer.Deserialize(rollouts, FleetJsonContext.Default.IReadOnlyListDeviceRolloutStatus) ?? [] : [],
        Store = status?.Store is { } storeJson ? JsonSerializer.Deserialize(storeJson, FleetJsonContext.Default.DeviceStoreStatus) : null,
    };

    private static DeviceCredentialsResponse Credentials(DeviceRow device, string password) => new()
    {
        Id = device.Id,
        Tags = device.TagList,
        Username = device.Id,
        Password = password,
        TopicsRoot = $"{SyncTopics.Root}/{device.Id}",
    };

    private static string? InvalidTags(IReadOnlyList<string>? tags) =>
        tags?.FirstOrDefault(t => !DeviceRegistry.IsValidTag(t)) is { } bad ? $"tag '{bad}' is not valid: 1-64 letters, digits, '-', '_' or '.'" : null;

    private static async Task<IResult> RegisterAsync(HttpRequest request, DeviceRegistry registry, IOptions<HubOptions> options, DesiredStateService desired)
    {
        var (body, error) = await FleetApi.ReadBodyAsync(request, FleetJsonContext.Default.RegisterDeviceRequest);
        if (body is null)
        {
            return error!;
        }

        if (!SyncTopics.IsValidDeviceId(body.Id))
        {
            return ApiErrors.BadRequest($"device id '{body.Id}' is not valid: 1-{SyncTopics.MaxDeviceIdLength} letters, digits, '-', '_' or '.'");
        }

        if (InvalidTags(body.Tags) is { } tagError)
        {
            return ApiErrors.BadRequest(tagError);
        }

        if (string.Equals(body.Id, options.Value.Broker.Username, StringComparison.Ordinal))
        {
            return ApiErrors.Conflict($"'{body.Id}' is the hub's own broker user name");
        }

        if (registry.Register(body.Id, body.Tags ?? []) is not { } registered)
        {
            return ApiErrors.Conflict($"device '{body.Id}' is already registered");
        }

        // Tag assignments made before the device existed apply to it from the start.
        await desired.RefreshAsync([registered.Device]);
        return Results.Json(Credentials(registered.Device, registered.Password), FleetJsonContext.Default.DeviceCredentialsResponse, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> SetTagsAsync(string id, HttpRequest request, HubStore store, DesiredStateService desired)
    {
        var (body, error) = await FleetApi.ReadBodyAsync(request, FleetJsonContext.Default.DeviceTagsRequest);
        if (body is null)
        {
            return error!;
        }

        if (InvalidTags(body.Tags) is { } tagError)
        {
            return ApiErrors.BadRequest(tagError);
        }

        if (!store.UpdateTags(id, string.Join(',', (body.Tags ?? []).Distinct(StringComparer.Ordinal))))
        {
            return ApiErrors.NotFound($"device '{id}' is not registered");
        }

        var device = store.GetDevice(id)!;
        await desired.RefreshAsync([device]);
        return Results.Json(Summary(device, store.GetStatus(id), store.GetDesired(id)?.Revision ?? 0), FleetJsonContext.Default.DeviceSummary);
    }
}
