using EdgeRuntime.Contracts.Sync;
using MQTTnet;

namespace EdgeRuntime.Hub.Tests;

/// <summary>The embedded broker's credential checks and per-device ACL, with real MQTTnet clients.</summary>
[TestFixture]
public sealed class EmbeddedBrokerTests
{
    [Test]
    public async Task Connect_WrongPasswordUnknownDeviceOrForeignClientId_IsRefused()
    {
        await using var hub = await TestHub.StartAsync();
        var a = await hub.RegisterAsync("dev-a");
        Assert.Multiple(async () =>
        {
            Assert.That(await TestDevice.TryConnectAsync(TestDevice.Options(hub.MqttPort, "dev-a", "wrong")), Does.Contain(nameof(MqttClientConnectResultCode.BadUserNameOrPassword)));
            Assert.That(await TestDevice.TryConnectAsync(TestDevice.Options(hub.MqttPort, "dev-x", a.Password)), Does.Contain(nameof(MqttClientConnectResultCode.BadUserNameOrPassword)));
            Assert.That(await TestDevice.TryConnectAsync(TestDevice.Options(hub.MqttPort, "dev-a", a.Password, clientId: "other")), Does.Contain(nameof(MqttClientConnectResultCode.ClientIdentifierNotValid)));
            Assert.That(await TestDevice.TryConnectAsync(TestDevice.Options(hub.MqttPort, "dev-a", a.Password)), Is.EqualTo(nameof(MqttClientConnectResultCode.Success)));
        });
    }

    [Test]
    public async Task Device_OtherDevicesTopics_SubscribeAndPublishAreRefused()
    {
        await using var hub = await TestHub.StartAsync();
        var a = await hub.RegisterAsync("dev-a");
        await hub.RegisterAsync("dev-b");
        await using var device = await TestDevice.ConnectAsync(hub.MqttPort, "dev-a", a.Password);

        var foreignDesired = await device.SubscribeAsync(SyncTopics.Desired("dev-b"));
        var wildcard = await device.SubscribeAsync("edge/v1/+/desired");
        var own = await device.SubscribeAsync(SyncTopics.Desired("dev-a"));
        var foreignTelemetry = await device.PublishAsync(SyncTopics.Telemetry("dev-b"), TestDevice.Batch("dev-b", 1, 1));
        var ownDesired = await device.PublishAsync(SyncTopics.Desired("dev-a"), [1]);
        var summary = await hub.GetAsync("/api/devices/dev-b/records/summary", Contracts.Fleet.FleetJsonContext.Default.RecordSummaryResponse);
        Assert.Multiple(() =>
        {
            Assert.That(foreignDesired, Is.EqualTo(MqttClientSubscribeResultCode.NotAuthorized));
            Assert.That(wildcard, Is.EqualTo(MqttClientSubscribeResultCode.NotAuthorized));
            Assert.That(own, Is.EqualTo(MqttClientSubscribeResultCode.GrantedQoS1));
            Assert.That(foreignTelemetry.ReasonCode, Is.EqualTo(MqttClientPublishReasonCode.NotAuthorized));
            Assert.That(ownDesired.ReasonCode, Is.EqualTo(MqttClientPublishReasonCode.NotAuthorized));
            Assert.That(summary.Count, Is.Zero);
        });
    }

    [Test]
    public async Task RotateAndDelete_OldPasswordAndDeletedDevice_AreRefused()
    {
        await using var hub = await TestHub.StartAsync();
        var a = await hub.RegisterAsync("dev-a");
        using var rotate = await hub.Http.PostAsync("/api/devices/dev-a/credentials", null);
        var rotated = System.Text.Json.JsonSerializer.Deserialize(await rotate.Content.ReadAsStringAsync(), Contracts.Fleet.FleetJsonContext.Default.DeviceCredentialsResponse)!;
        var oldResult = await TestDevice.TryConnectAsync(TestDevice.Options(hub.MqttPort, "dev-a", a.Password));
        await using var device = await TestDevice.ConnectAsync(hub.MqttPort, "dev-a", rotated.Password);
        using var delete = await hub.Http.DeleteAsync("/api/devices/dev-a");
        await Eventually.HoldsAsync(() => !device.Client.IsConnected, "the deleted device to be disconnected");
        var afterDelete = await TestDevice.TryConnectAsync(TestDevice.Options(hub.MqttPort, "dev-a", rotated.Password));
        Assert.Multiple(() =>
        {
            Assert.That(oldResult, Does.Contain(nameof(MqttClientConnectResultCode.BadUserNameOrPassword)));
            Assert.That(afterDelete, Does.Contain(nameof(MqttClientConnectResultCode.BadUserNameOrPassword)));
        });
    }
}
