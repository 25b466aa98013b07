using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Device.Tests.Telemetry;

namespace EdgeRuntime.Device.Tests.Sync;

/// <summary>The MQTT link against a real broker: the retained online status on connect, the will when the connection drops, reconnecting.</summary>
public sealed class MqttHubLinkTests
{
    [Test]
    public async Task ExecuteAsync_ConnectionDropped_WillMarksOfflineThenReconnectsOnline()
    {
        using var directory = new TestStores();
        await using var hub = new TestHub();
        await hub.StartAsync();
        await using var device = new TestDevice(directory.DirectoryPath, hub.Port);
        await device.InstallDemoV1Async();
        await device.StartAsync();

        await Wait.UntilAsync(() => hub.Statuses.Any(s => s.State == SyncProtocol.Online), "the device publishes an online status");
        var online = hub.Statuses.First(s => s.State == SyncProtocol.Online);
        Assert.That(online.DeviceId, Is.EqualTo("device-1"));
        Assert.That(online.Models.Single(), Is.EqualTo(new DeviceModelStatus("demo", "1", "READY", "CPU")));
        Assert.That(device.Link.Status.Connected, Is.True);

        await hub.KickAsync("device-1");

        await Wait.UntilAsync(() => hub.Statuses.Any(s => s.State == SyncProtocol.Offline), "the will marks the device offline");
        await Wait.UntilAsync(() => hub.Statuses.SkipWhile(s => s.State != SyncProtocol.Offline).Any(s => s.State == SyncProtocol.Online), "the device reconnects and is online again");
        await Wait.UntilAsync(() => device.Link.Status.Connected, "the link says connected");
    }
}
