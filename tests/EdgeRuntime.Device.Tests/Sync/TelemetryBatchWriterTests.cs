using System.Text;
using System.Text.Json;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Contracts.Telemetry;
using EdgeRuntime.Device.Sync;
using EdgeRuntime.Device.Telemetry;

namespace EdgeRuntime.Device.Tests.Sync;

/// <summary>The uplink's fast batch writer against the contract's own serializer.</summary>
public sealed class TelemetryBatchWriterTests
{
    [Test]
    public void Write_MixedRecords_EqualsWhatSyncJsonContextWritesForTheChannel()
    {
        TelemetryRecord[] records =
        [
            new(7, TelemetryKind.Event, 1_700_000_000_001, "model_loaded", "demo", "1", """{"provider":"CPU"}"""),
            new(8, TelemetryKind.Metrics, 1_700_000_000_002, "metrics", null, null, """{"n":1.5,"s":"q"}"""),
            new(9, TelemetryKind.Drift, 1_700_000_000_003, "drift_report", "demo", null, """{"psi":[0.1,0.2]}"""),
            new(10, TelemetryKind.Sample, 1_700_000_000_004, "prediction", "demo", "2", """{"x":[1,2]}"""),
        ];

        foreach (var channel in new[] { SyncChannel.Events, SyncChannel.Telemetry })
        {
            var fast = TelemetryBatchWriter.Write("device-1", 7, 10, records, channel, out var count);
            var expected = new TelemetryBatch
            {
                DeviceId = "device-1",
                FromSeq = 7,
                ToSeq = 10,
                Records = [.. records.Where(r => TelemetryBatchWriter.ChannelOf(r.Kind) == channel).Select(r =>
                {
                    using var payload = JsonDocument.Parse(r.Payload);
                    return new TelemetryRecordEntry(r.Sequence, r.Kind.ToString().ToLowerInvariant(), r.TimestampMs, r.Type, r.Model, r.Version, payload.RootElement.Clone());
                })],
            };

            Assert.That(count, Is.EqualTo(2));
            Assert.That(Encoding.UTF8.GetString(fast!), Is.EqualTo(JsonSerializer.Serialize(expected, SyncJsonContext.Default.TelemetryBatch)));
        }
    }

    [Test]
    public void Write_PayloadWithEscapes_GoesInRawAndParsesToTheSameDocument()
    {
        const string payload = """{"s":"ä\"q","u":"\u00e4"}""";
        TelemetryRecord[] records = [new(1, TelemetryKind.Event, 1, "test", null, null, payload)];

        var fast = TelemetryBatchWriter.Write("device-1", 1, 1, records, SyncChannel.Events, out _);

        var batch = JsonSerializer.Deserialize(fast, SyncJsonContext.Default.TelemetryBatch)!;
        using var expected = JsonDocument.Parse(payload);
        Assert.That(JsonElement.DeepEquals(batch.Records.Single().Payload, expected.RootElement), Is.True);
        Assert.That(batch.Records.Single().Payload.GetProperty("s").GetString(), Is.EqualTo("ä\"q"));
    }

    [Test]
    public void Write_NoRecordForTheChannel_ReturnsNull()
    {
        TelemetryRecord[] records = [new(1, TelemetryKind.Metrics, 1, "metrics", null, null, "{}")];

        Assert.That(TelemetryBatchWriter.Write("device-1", 1, 1, records, SyncChannel.Events, out _), Is.Null);
    }
}
