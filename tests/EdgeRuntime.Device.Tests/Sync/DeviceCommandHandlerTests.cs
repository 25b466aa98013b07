using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Device.Telemetry;
using EdgeRuntime.Device.Tests.Telemetry;

namespace EdgeRuntime.Device.Tests.Sync;

/// <summary>Commands from the hub, answered on <c>commands/response</c>.</summary>
public sealed class DeviceCommandHandlerTests
{
    [Test]
    public async Task ExecuteAsync_Commands_AreRunAndAnswered()
    {
        using var directory = new TestStores();
        await using var hub = new TestHub();
        await hub.StartAsync();
        await using var device = new TestDevice(directory.DirectoryPath, hub.Port);
        await device.InstallDemoV1Async();
        await device.StartAsync();
        await Wait.UntilAsync(() => device.Link.Status.Connected, "the link is connected");
        device.Recorder.Record(TelemetryKind.Event, "test", null, null, "{}");
        await device.Recorder.FlushAsync();
        var stored = device.Store.LastSequence;
        var statuses = hub.Statuses.Count;

        await hub.SendCommandAsync("device-1", new DeviceCommand { Id = "c1", Name = DeviceCommandNames.Flush });
        await hub.SendCommandAsync("device-1", new DeviceCommand { Id = "c2", Name = DeviceCommandNames.PublishStatus });
        await hub.SendCommandAsync("device-1", new DeviceCommand { Id = "c3", Name = "self_destruct" });
        await hub.SendCommandAsync("device-1", new DeviceCommand { Id = "c4", Name = DeviceCommandNames.Reconcile });

        await Wait.UntilAsync(() => hub.CommandResults.Count == 4, "all four commands are answered");
        var results = hub.CommandResults.ToDictionary(r => r.Id);
        Assert.That(results["c1"].Ok, Is.True);
        Assert.That(hub.HighestSequenceAtResult["c1"], Is.GreaterThanOrEqualTo(stored), "flush answers only once the hub holds everything stored before it");
        Assert.That(results["c2"].Ok, Is.True);
        Assert.That(hub.Statuses.Count, Is.GreaterThan(statuses));
        Assert.That(results["c3"], Has.Property("Ok").False.And.Property("Message").Contains("self_destruct"));
        Assert.That(results["c4"].Name, Is.EqualTo(DeviceCommandNames.Reconcile));
    }
}
