using System.Buffers;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EdgeRuntime.Contracts.Fleet;
using EdgeRuntime.Contracts.Sync;
using MQTTnet;
using MQTTnet.Packets;

namespace EdgeRuntime.Hub.Tests;

/// <summary>What the hub does with device messages, through the embedded broker and real MQTTnet devices.</summary>
[TestFixture]
public sealed class HubMessageHandlerTests
{
    [Test]
    public async Task Telemetry_SameBatchTwiceAndGzip_StoredOnceWithoutGaps()
    {
        await using var hub = await TestHub.StartAsync();
        var a = await hub.RegisterAsync("dev-a");
        await using var device = await TestDevice.ConnectAsync(hub.MqttPort, "dev-a", a.Password);

        var first = await device.PublishAsync(SyncTopics.Telemetry("dev-a"), TestDevice.Batch("dev-a", 1, 100));
        var again = await device.PublishAsync(SyncTopics.Telemetry("dev-a"), TestDevice.Batch("dev-a", 1, 100));
        var gzip = await device.PublishAsync(SyncTopics.Telemetry("dev-a"), TestDevice.Gzip(TestDevice.Batch("dev-a", 101, 50)), gzip: true);
        var events = await device.PublishAsync(SyncTopics.Events("dev-a"), TestDevice.Batch("dev-a", 151, 10, kind: "event", type: "model_loaded"));
        var summary = await hub.GetAsync("/api/devices/dev-a/records/summary", FleetJsonContext.Default.RecordSummaryResponse);
        var eventRecords = await hub.GetAsync("/api/events?device_id=dev-a", FleetJsonContext.Default.IReadOnlyListFleetRecord);
        var page = await hub.GetAsync("/api/telemetry?device_id=dev-a&after_seq=100&limit=5", FleetJsonContext.Default.IReadOnlyListFleetRecord);
        Assert.Multiple(() =>
        {
            Assert.That(new[] { first, again, gzip, events }.Select(r => r.ReasonCode), Is.All.EqualTo(MqttClientPublishReasonCode.Success));
            Assert.That(summary, Is.EqualTo(new RecordSummaryResponse(160, 1, 160, 0)));
            Assert.That(eventRecords, Has.Count.EqualTo(10));
            Assert.That(page.Select(r => r.Sequence), Is.EqualTo(new long[] { 101, 102, 103, 104, 105 }));
            Assert.That(page[0].Payload.GetProperty("value").GetInt32(), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Telemetry_BatchNamingAnotherDeviceOrMalformed_IsRefusedAndNotStored()
    {
        await using var hub = await TestHub.StartAsync();
        var a = await hub.RegisterAsync("dev-a");
        await hub.RegisterAsync("dev-b");
        await using var device = await TestDevice.ConnectAsync(hub.MqttPort, "dev-a", a.Password);
        var foreign = await device.PublishAsync(SyncTopics.Telemetry("dev-a"), TestDevice.Batch("dev-b", 1, 5));
        var malformed = await device.PublishAsync(SyncTopics.Telemetry("dev-a"), "{\"device_id\":"u8.ToArray());
        var summaryA = await hub.GetAsync("/api/devices/dev-a/records/summary", FleetJsonContext.Default.RecordSummaryResponse);
        var summaryB = await hub.GetAsync("/api/devices/dev-b/records/summary", FleetJsonContext.Default.RecordSummaryResponse);
        Assert.Multiple(() =>
        {
            Assert.That(foreign.ReasonCode, Is.EqualTo(MqttClientPublishReasonCode.NotAuthorized));
            Assert.That(malformed.ReasonCode, Is.EqualTo(MqttClientPublishReasonCode.PayloadFormatInvalid));
            Assert.That(summaryA.Count + summaryB.Count, Is.Zero);
        });
    }

    [Test]
    public async Task Summary_GapInSequences_CountsMissing()
    {
        await using var hub = await TestHub.StartAsync();
        var a = await hub.RegisterAsync("dev-a");
        await using var device = await TestDevice.ConnectAsync(hub.MqttPort, "dev-a", a.Password);
        await device.PublishAsync(SyncTopics.Telemetry("dev-a"), TestDevice.Batch("dev-a", 1, 10));
        await device.PublishAsync(SyncTopics.Telemetry("dev-a"), TestDevice.Batch("dev-a", 16, 5));
        var summary = await hub.GetAsync("/api/devices/dev-a/records/summary", FleetJsonContext.Default.RecordSummaryResponse);
        Assert.That(summary, Is.EqualTo(new RecordSummaryResponse(15, 1, 20, 5)));
    }

    [Test]
    public async Task IngestDelay_WindowAndDevicePrefix_CountsOnlyThoseRecordsInRankOrder()
    {
        await using var hub = await TestHub.StartAsync();
        var a = await hub.RegisterAsync("dev-a");
        var other = await hub.RegisterAsync("other-1");
        await using var deviceA = await TestDevice.ConnectAsync(hub.MqttPort, "dev-a", a.Password);
        await using var deviceOther = await TestDevice.ConnectAsync(hub.MqttPort, "other-1", other.Password);
        await deviceA.PublishAsync(SyncTopics.Telemetry("dev-a"), TestDevice.Batch("dev-a", 1, 100));
        await deviceOther.PublishAsync(SyncTopics.Telemetry("other-1"), TestDevice.Batch("other-1", 1, 10));

        // The test batches are created at 1_700_000_000_000 + i ms: a window of the first 50 of dev-a's.
        var delay = await hub.GetAsync("/api/telemetry/delay?from_ms=1700000000000&to_ms=1700000000050&device_prefix=dev-", FleetJsonContext.Default.IngestDelayResponse);
        var all = await hub.GetAsync("/api/telemetry/delay?from_ms=1700000000000&to_ms=1700000001000", FleetJsonContext.Default.IngestDelayResponse);
        Assert.Multiple(() =>
        {
            Assert.That(delay.Count, Is.EqualTo(50));
            Assert.That(delay.P50Ms, Is.LessThanOrEqualTo(delay.P95Ms!.Value));
            Assert.That(delay.P95Ms, Is.LessThanOrEqualTo(delay.P99Ms!.Value));
            Assert.That(delay.P99Ms, Is.LessThanOrEqualTo(delay.MaxMs!.Value));
            Assert.That(all.Count, Is.EqualTo(110));
        });
    }

    [Test]
    public async Task Status_Published_ShowsInDeviceSummary()
    {
        await using var hub = await TestHub.StartAsync();
        var a = await hub.RegisterAsync("dev-a");
        await using var device = await TestDevice.ConnectAsync(hub.MqttPort, "dev-a", a.Password);
        var status = new DeviceStatus
        {
            DeviceId = "dev-a",
            State = SyncProtocol.Online,
            RuntimeVersion = "0.1.0",
            Profile = "cpu-small",
            AppliedRevision = 3,
            Models = [new DeviceModelStatus("m", "1", "READY", "CPUExecutionProvider")],
            Store = new DeviceStoreStatus(5, 100, 1000, 1, 5, 0),
        };
        var result = await device.PublishAsync(SyncTopics.Status("dev-a"), JsonSerializer.SerializeToUtf8Bytes(status, SyncJsonContext.Default.DeviceStatus));
        var summary = await hub.GetAsync("/api/devices/dev-a", FleetJsonContext.Default.DeviceSummary);
        Assert.Multiple(() =>
        {
            Assert.That(result.ReasonCode, Is.EqualTo(MqttClientPublishReasonCode.Success));
            Assert.That(summary.Online, Is.True);
            Assert.That(summary.RuntimeVersion, Is.EqualTo("0.1.0"));
            Assert.That(summary.AppliedRevision, Is.EqualTo(3));
            Assert.That(summary.Models.Single().ExecutionProvider, Is.EqualTo("CPUExecutionProvider"));
            Assert.That(summary.Store!.Records, Is.EqualTo(5));
            Assert.That(summary.LastSeenMs, Is.Not.Null);
        });
    }

    [Test]
    public async Task ArtifactRequest_ChunksLastPartialAndBadRange_AreServedOrRefused()
    {
        await using var hub = await TestHub.StartAsync(null, "--Hub:Artifacts:ChunkBytes", "1024");
        var a = await hub.RegisterAsync("dev-a");
        var model = await hub.UploadAsync("m", 1, RandomNumberGenerator.GetBytes(2500));
        var content = hub.ArtifactBytes(model.Artifact.Id);
        var lastOffset = (content.Length - 1) / 1024 * 1024;
        await hub.AssignAsync("m", 1, deviceId: "dev-a");
        await using var device = await TestDevice.ConnectAsync(hub.MqttPort, "dev-a", a.Password);
        await device.SubscribeAsync(SyncTopics.ArtifactResponse("dev-a"));

        var first = await RequestChunkAsync(device, model.Artifact.Id, 0, 1024);
        var last = await RequestChunkAsync(device, model.Artifact.Id, lastOffset, 1024);
        var badRange = await RequestChunkAsync(device, model.Artifact.Id, content.Length, 10);
        var tooLong = await RequestChunkAsync(device, model.Artifact.Id, 0, SyncProtocol.MaxChunkBytes + 1);
        var unknown = await RequestChunkAsync(device, new string('0', 64), 0, 10);
        Assert.Multiple(() =>
        {
            Assert.That(content, Has.Length.EqualTo(model.Artifact.Size));
            Assert.That(lastOffset + 1024, Is.GreaterThan(content.Length), "the last chunk is partial");
            Assert.That(first.Payload.ToArray(), Is.EqualTo(content[..1024]));
            Assert.That(Property(first, SyncHeaders.ChunkSha256), Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(content.AsSpan(0, 1024)))));
            Assert.That(Property(first, SyncHeaders.ArtifactSize), Is.EqualTo(content.Length.ToString(CultureInfo.InvariantCulture)));
            Assert.That(last.Payload.ToArray(), Is.EqualTo(content[lastOffset..]));
            Assert.That(Property(last, SyncHeaders.ArtifactOffset), Is.EqualTo(lastOffset.ToString(CultureInfo.InvariantCulture)));
            Assert.That(Property(badRange, SyncHeaders.Error), Does.Contain("bad range"));
            Assert.That(badRange.Payload.IsEmpty, Is.True);
            Assert.That(Property(tooLong, SyncHeaders.Error), Is.Not.Null);
            Assert.That(Property(unknown, SyncHeaders.Error), Is.EqualTo("unknown artifact"));
        });
    }

    [Test]
    public async Task ArtifactRequest_FileCorruptedOnDisk_AnswersCorruptedAtOffset()
    {
        await using var hub = await TestHub.StartAsync(null, "--Hub:Artifacts:ChunkBytes", "1024");
        var a = await hub.RegisterAsync("dev-a");
        var model = await hub.UploadAsync("m", 1, RandomNumberGenerator.GetBytes(3000));
        await hub.AssignAsync("m", 1, deviceId: "dev-a");
        var path = Path.Combine(hub.DataDirectory, "artifacts", model.Artifact.Id);
        var corrupted = hub.ArtifactBytes(model.Artifact.Id);
        corrupted[1500] ^= 0xFF;
        await File.WriteAllBytesAsync(path, corrupted);
        await using var device = await TestDevice.ConnectAsync(hub.MqttPort, "dev-a", a.Password);
        await device.SubscribeAsync(SyncTopics.ArtifactResponse("dev-a"));

        var intact = await RequestChunkAsync(device, model.Artifact.Id, 0, 1024);
        var broken = await RequestChunkAsync(device, model.Artifact.Id, 1024, 1024);
        var wholeFile = await RequestChunkAsync(device, model.Artifact.Id, 0, 4096);
        Assert.Multiple(() =>
        {
            Assert.That(Property(intact, SyncHeaders.Error), Is.Null);
            Assert.That(Property(broken, SyncHeaders.Error), Is.EqualTo("artifact corrupted at offset 1024"));
            Assert.That(broken.Payload.IsEmpty, Is.True);
            Assert.That(Property(wholeFile, SyncHeaders.Error), Is.EqualTo("artifact corrupted at offset 1024"));
        });
    }

    [Test]
    public async Task ArtifactRequest_ResponseTopicOfAnotherDevice_IsRefused()
    {
        await using var hub = await TestHub.StartAsync();
        var a = await hub.RegisterAsync("dev-a");
        await hub.RegisterAsync("dev-b");
        await using var device = await TestDevice.ConnectAsync(hub.MqttPort, "dev-a", a.Password);
        var request = JsonSerializer.SerializeToUtf8Bytes(new ArtifactChunkRequest { ArtifactId = new string('0', 64), Offset = 0, Length = 1 }, SyncJsonContext.Default.ArtifactChunkRequest);
        var result = await device.PublishAsync(SyncTopics.ArtifactRequest("dev-a"), request, responseTopic: SyncTopics.ArtifactResponse("dev-b"), correlation: [1]);
        Assert.That(result.ReasonCode, Is.EqualTo(MqttClientPublishReasonCode.NotAuthorized));
    }

    [Test]
    public async Task Command_DeviceAnswers_ResultIsStoredAgainstItsId()
    {
        await using var hub = await TestHub.StartAsync();
        var a = await hub.RegisterAsync("dev-a");
        await using var device = await TestDevice.ConnectAsync(hub.MqttPort, "dev-a", a.Password);
        await device.SubscribeAsync(SyncTopics.Commands("dev-a"));
        using var sent = await hub.Http.PostAsJsonAsync("/api/devices/dev-a/commands", new CommandRequest { Name = DeviceCommandNames.Flush }, FleetJsonContext.Default.CommandRequest);
        Assert.That((int)sent.StatusCode, Is.EqualTo(202));
        var accepted = (await sent.Content.ReadFromJsonAsync(FleetJsonContext.Default.CommandAcceptedResponse))!;
        var received = await device.WaitForAsync(SyncTopics.Commands("dev-a"));
        var command = JsonSerializer.Deserialize(received.Payload.ToArray(), SyncJsonContext.Default.DeviceCommand)!;
        var answer = new DeviceCommandResult { Id = command.Id, Name = command.Name, Ok = true, Message = "flushed 5" };
        await device.PublishAsync(SyncTopics.CommandResponse("dev-a"), JsonSerializer.SerializeToUtf8Bytes(answer, SyncJsonContext.Default.DeviceCommandResult));
        var stored = await hub.GetAsync($"/api/devices/dev-a/commands/{accepted.Id}", FleetJsonContext.Default.CommandResponse);
        Assert.Multiple(() =>
        {
            Assert.That(command.Id, Is.EqualTo(accepted.Id));
            Assert.That(command.Name, Is.EqualTo(DeviceCommandNames.Flush));
            Assert.That(stored.Result?.Ok, Is.True);
            Assert.That(stored.Result?.Message, Is.EqualTo("flushed 5"));
        });
    }

    private static string? Property(MqttApplicationMessage message, string name) =>
        message.UserProperties?.FirstOrDefault(p => p.Name == name) is { } property ? property.ReadValueAsString() : null;

    private static async Task<MqttApplicationMessage> RequestChunkAsync(TestDevice device, string artifactId, long offset, int length)
    {
        var correlation = Guid.NewGuid().ToByteArray();
        var request = JsonSerializer.SerializeToUtf8Bytes(new ArtifactChunkRequest { ArtifactId = artifactId, Offset = offset, Length = length }, SyncJsonContext.Default.ArtifactChunkRequest);
        var result = await device.PublishAsync(SyncTopics.ArtifactRequest(device.DeviceId), request, responseTopic: SyncTopics.ArtifactResponse(device.DeviceId), correlation: correlation);
        Assert.That(result.ReasonCode, Is.EqualTo(MqttClientPublishReasonCode.Success), Encoding.UTF8.GetString(request));
        return await device.WaitForAsync(SyncTopics.ArtifactResponse(device.DeviceId), m => m.CorrelationData?.SequenceEqual(correlation) == true);
    }
}
