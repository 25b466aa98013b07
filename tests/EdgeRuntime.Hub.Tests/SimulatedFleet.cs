using System.Net.Http.Json;
using EdgeRuntime.Contracts.Fleet;

namespace EdgeRuntime.Hub.Tests;

/// <summary>
/// A real hub with simulated devices <c>sim-00</c> … tagged <see cref="Tag"/>, every one serving version 1 of
/// <see cref="Model"/> by a tag assignment; versions 2 and 3 are registered too.
/// </summary>
internal sealed class SimulatedFleet : IAsyncDisposable
{
    public const string Model = "detector";
    public const string Tag = "fleet";

    private SimulatedFleet(TestHub hub, IReadOnlyList<SimulatedDevice> devices, SimulationLog log)
    {
        Hub = hub;
        Devices = devices;
        Log = log;
    }

    public TestHub Hub { get; }

    public IReadOnlyList<SimulatedDevice> Devices { get; }

    public SimulationLog Log { get; }

    public static IReadOnlyList<string> DeviceIds(int count) => [.. Enumerable.Range(0, count).Select(i => $"sim-{i:D2}")];

    /// <summary>Starts the hub and <paramref name="count"/> devices; <paramref name="badVersions"/> says which versions fail on which device.</summary>
    public static async Task<SimulatedFleet> StartAsync(int count, Func<string, IReadOnlySet<string>>? badVersions = null)
    {
        var hub = await TestHub.StartAsync();
        var devices = new List<SimulatedDevice>();
        var log = new SimulationLog();
        try
        {
            await hub.UploadAsync(Model, 1, [1, 1, 1, 1]);
            await hub.UploadAsync(Model, 2, [2, 2, 2, 2]);
            await hub.UploadAsync(Model, 3, [3, 3, 3, 3]);
            var passwords = new Dictionary<string, string>();
            foreach (var id in DeviceIds(count))
            {
                passwords[id] = (await hub.RegisterAsync(id, Tag)).Password;
            }

            await hub.AssignAsync(Model, 1, tag: Tag);
            foreach (var id in DeviceIds(count))
            {
                devices.Add(await SimulatedDevice.StartAsync(hub.MqttPort, id, passwords[id], Model, "1", badVersions?.Invoke(id) ?? new HashSet<string>(), log));
            }

            await Eventually.HoldsAsync(() => devices.All(d => !d.DesiredStates.IsEmpty), "every device received its desired state");
            return new SimulatedFleet(hub, devices, log);
        }
        catch
        {
            foreach (var device in devices)
            {
                await device.DisposeAsync();
            }

            await hub.DisposeAsync();
            throw;
        }
    }

    public SimulatedDevice Device(string id) => Devices.Single(d => d.DeviceId == id);

    /// <summary>Creates the deployment (201 expected) and returns it as created.</summary>
    public async Task<DeploymentResponse> DeployAsync(DeploymentRequest request)
    {
        using var response = await Hub.Http.PostAsJsonAsync("/api/deployments", request, FleetJsonContext.Default.DeploymentRequest);
        Assert.That((int)response.StatusCode, Is.EqualTo(201), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync(FleetJsonContext.Default.DeploymentResponse))!;
    }

    public Task<DeploymentResponse> GetAsync(string id) => Hub.GetAsync($"/api/deployments/{id}", FleetJsonContext.Default.DeploymentResponse);

    /// <summary>Waits for the deployment to reach <paramref name="state"/> and returns it then.</summary>
    public async Task<DeploymentResponse> WaitForStateAsync(string id, string state)
    {
        DeploymentResponse? last = null;
        await Eventually.HoldsAsync(async () => (last = await GetAsync(id)).State == state, $"deployment {id} {state}");
        return last!;
    }

    /// <summary>Posts an action (halt, resume, advance, rollback, cancel) and returns the status code and the deployment when it succeeded.</summary>
    public async Task<(int Status, DeploymentResponse? Deployment)> ActAsync(string id, string action)
    {
        using var response = await Hub.Http.PostAsync($"/api/deployments/{id}/{action}", null);
        var body = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, response.IsSuccessStatusCode ? System.Text.Json.JsonSerializer.Deserialize(body, FleetJsonContext.Default.DeploymentResponse) : null);
    }

    /// <summary>The version of <see cref="Model"/> in the hub's current desired state of the device.</summary>
    public async Task<(string? Version, long Revision)> DesiredAsync(string deviceId)
    {
        var desired = await Hub.GetAsync($"/api/devices/{deviceId}/desired", FleetJsonContext.Default.DesiredState);
        return (desired.Models.SingleOrDefault(m => m.Name == Model)?.Version, desired.Revision);
    }

    /// <summary>The deployment's members by ring.</summary>
    public async Task<ILookup<int, string>> RingsAsync(string id) =>
        (await Hub.GetAsync($"/api/deployments/{id}/devices", FleetJsonContext.Default.IReadOnlyListDeploymentDevice)).ToLookup(d => d.Ring, d => d.DeviceId);

    public async ValueTask DisposeAsync()
    {
        foreach (var device in Devices)
        {
            await device.DisposeAsync();
        }

        await Hub.DisposeAsync();
    }
}
