using System.Buffers;
using System.Net.Http.Json;
using System.Text.Json;
using EdgeRuntime.Contracts.Fleet;
using EdgeRuntime.Contracts.Sync;

namespace EdgeRuntime.Hub.Tests;

/// <summary>Desired state from assignments, retained on the embedded broker, across hub restarts.</summary>
[TestFixture]
public sealed class DesiredStateServiceTests
{
    [Test]
    public async Task Assign_TagThenDevice_DeviceOverridesTagAndRevisionRises()
    {
        await using var hub = await TestHub.StartAsync();
        await hub.RegisterAsync("dev-a", "line-1");
        await hub.RegisterAsync("dev-b", "line-1");
        var first = await hub.UploadAsync("m", 1, [1, 1, 1]);
        await hub.UploadAsync("m", 2, [2, 2, 2]);

        var byTag = await hub.AssignAsync("m", 1, tag: "line-1");
        var byDevice = await hub.AssignAsync("m", 2, deviceId: "dev-a");
        var newerTag = await hub.AssignAsync("m", 1, tag: "line-1");
        var a = await hub.GetAsync("/api/devices/dev-a/desired", FleetJsonContext.Default.DesiredState);
        var b = await hub.GetAsync("/api/devices/dev-b/desired", FleetJsonContext.Default.DesiredState);
        Assert.Multiple(() =>
        {
            Assert.That(byTag.Devices, Is.EquivalentTo(new[] { new DeviceRevision("dev-a", 1), new DeviceRevision("dev-b", 1) }));
            Assert.That(byDevice.Devices, Is.EqualTo(new[] { new DeviceRevision("dev-a", 2) }));
            Assert.That(newerTag.Devices, Is.Empty, "a newer tag assignment of the same version changes nothing");
            Assert.That(a.Revision, Is.EqualTo(2));
            Assert.That(a.Models.Single().Version, Is.EqualTo("2"));
            Assert.That(b.Models.Single().Version, Is.EqualTo("1"));
            Assert.That(b.Models.Single().Artifact, Is.EqualTo(first.Artifact));
            Assert.That(b.Models.Single().Artifact.Format, Is.EqualTo(ArtifactFormats.EdgePackage));
        });
    }

    [Test]
    public async Task Desired_DeviceConnectingLater_ReceivesRetainedState()
    {
        await using var hub = await TestHub.StartAsync();
        var a = await hub.RegisterAsync("dev-a");
        await hub.UploadAsync("m", 1, [1, 2, 3]);
        await hub.AssignAsync("m", 1, deviceId: "dev-a");
        await using var device = await TestDevice.ConnectAsync(hub.MqttPort, "dev-a", a.Password);
        await device.SubscribeAsync(SyncTopics.Desired("dev-a"));
        var message = await device.WaitForAsync(SyncTopics.Desired("dev-a"));
        var state = JsonSerializer.Deserialize(message.Payload.ToArray(), SyncJsonContext.Default.DesiredState)!;
        Assert.Multiple(() =>
        {
            Assert.That(message.Retain, Is.True);
            Assert.That(state.Revision, Is.EqualTo(1));
            Assert.That(state.Models.Single().Name, Is.EqualTo("m"));
        });
    }

    [Test]
    public async Task Restart_SameDataDirectory_KeepsStoreAndRepublishesDesired()
    {
        var data = TestHub.NewDataDirectory();
        try
        {
            string password;
            await using (var first = await TestHub.StartAsync(data))
            {
                password = (await first.RegisterAsync("dev-a")).Password;
                await first.UploadAsync("m", 1, [1, 2, 3]);
                await first.AssignAsync("m", 1, deviceId: "dev-a");
                await using var device = await TestDevice.ConnectAsync(first.MqttPort, "dev-a", password);
                await device.PublishAsync(SyncTopics.Telemetry("dev-a"), TestDevice.Batch("dev-a", 1, 20));
                await first.StopKeepingDataAsync();
            }

            await using var second = await TestHub.StartAsync(data);
            await using var again = await TestDevice.ConnectAsync(second.MqttPort, "dev-a", password);
            await again.SubscribeAsync(SyncTopics.Desired("dev-a"));
            var message = await again.WaitForAsync(SyncTopics.Desired("dev-a"));
            var summary = await second.GetAsync("/api/devices/dev-a/records/summary", FleetJsonContext.Default.RecordSummaryResponse);
            using var upload = await second.Http.PutAsync("/api/models/m/versions/1", new ByteArrayContent([1, 2, 3]));
            Assert.Multiple(() =>
            {
                Assert.That(JsonSerializer.Deserialize(message.Payload.ToArray(), SyncJsonContext.Default.DesiredState)!.Revision, Is.EqualTo(1));
                Assert.That(summary, Is.EqualTo(new RecordSummaryResponse(20, 1, 20, 0)));
                Assert.That((int)upload.StatusCode, Is.EqualTo(200));
            });
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Test]
    public async Task DeleteAssignment_LastOne_PublishesEmptyModelsWithHigherRevision()
    {
        await using var hub = await TestHub.StartAsync();
        await hub.RegisterAsync("dev-a");
        await hub.UploadAsync("m", 1, [1]);
        var assignment = await hub.AssignAsync("m", 1, deviceId: "dev-a");
        using var deleted = await hub.Http.DeleteAsync($"/api/assignments/{assignment.Id}");
        var body = (await deleted.Content.ReadFromJsonAsync(FleetJsonContext.Default.AssignmentResponse))!;
        var state = await hub.GetAsync("/api/devices/dev-a/desired", FleetJsonContext.Default.DesiredState);
        Assert.Multiple(() =>
        {
            Assert.That(body.Devices, Is.EqualTo(new[] { new DeviceRevision("dev-a", 2) }));
            Assert.That(state.Models, Is.Empty);
        });
    }
}
