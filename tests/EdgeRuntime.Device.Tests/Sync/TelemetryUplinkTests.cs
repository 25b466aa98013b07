using System.Text.Json;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Device.Telemetry;
using EdgeRuntime.Device.Tests.Telemetry;

namespace EdgeRuntime.Device.Tests.Sync;

/// <summary>The uplink against a real broker: order, delete only after the acknowledgement, broker outages, gzip.</summary>
public sealed class TelemetryUplinkTests
{
    private TestStores _directory = null!;
    private TestHub _hub = null!;

    [SetUp]
    public async Task SetUp()
    {
        _directory = new TestStores();
        _hub = new TestHub();
        await _hub.StartAsync();
    }

    [TearDown]
    public async Task TearDown()
    {
        await _hub.DisposeAsync();
        _directory.Dispose();
    }

    [Test]
    public async Task ExecuteAsync_Backlog_EverythingArrivesInOrderAndIsDeletedOnlyOnceAccepted()
    {
        await using var device = new TestDevice(_directory.DirectoryPath, _hub.Port, o => o.UplinkBatchSize = 300);
        var kinds = new[] { TelemetryKind.Event, TelemetryKind.Drift, TelemetryKind.Metrics, TelemetryKind.Sample };
        device.Store.Append([.. Enumerable.Range(0, 5000).Select(i => TestStores.Entry(kinds[i % 4], payloadBytes: 40 + (i % 7)))]);
        _hub.RefuseTelemetry = true;
        await device.StartAsync();

        await Wait.UntilAsync(() => device.Link.Status.Connected, "the link is connected");
        await Wait.UntilAsync(() => _hub.RefusedCount >= 3, "the hub refused a few publications");
        Assert.That(device.Store.Count, Is.EqualTo(5000), "nothing is deleted that the hub did not accept");
        Assert.That(_hub.Records, Is.Empty);

        _hub.RefuseTelemetry = false;
        await Wait.UntilAsync(() => device.Store.Count == 0, "the store is drained");

        Assert.That(_hub.Records.Keys.Order(), Is.EqualTo(Enumerable.Range(1, 5000).Select(i => (long)i)));
        Assert.That(device.Uplink.LastAckedSequence, Is.EqualTo(5000));
        foreach (var channel in new[] { SyncChannel.Events, SyncChannel.Telemetry })
        {
            var ranges = _hub.Batches.Where(b => b.Channel == channel).Select(b => b.FromSeq).ToList();
            Assert.That(ranges, Is.Ordered, $"{channel} batches go oldest first");
        }

        Assert.That(_hub.Kinds.Where(k => k.Key % 4 == 1).Select(k => k.Value), Is.All.EqualTo("event"));
        Assert.That(_hub.Kinds.Where(k => k.Key % 4 == 0).Select(k => k.Value), Is.All.EqualTo("sample"));
    }

    [Test]
    public async Task ExecuteAsync_BrokerStoppedWhileRecording_NothingDeletedAndEverythingArrivesAfterRestart()
    {
        await using var device = new TestDevice(_directory.DirectoryPath, _hub.Port);
        await device.StartAsync();
        for (var i = 0; i < 500; i++)
        {
            device.Recorder.Record(TelemetryKind.Metrics, "metrics", "demo", "1", $"{{\"i\":{i}}}");
        }

        await device.Recorder.FlushAsync();
        await Wait.UntilAsync(() => device.Store.Count == 0, "the first records are uploaded");
        var uploaded = _hub.Records.Count;

        await _hub.StopAsync();
        await Wait.UntilAsync(() => !device.Link.Status.Connected, "the device sees the broker gone");
        for (var i = 0; i < 3000; i++)
        {
            device.Recorder.Record(i % 2 == 0 ? TelemetryKind.Event : TelemetryKind.Sample, "test", "demo", "1", $"{{\"i\":{i}}}");
        }

        await device.Recorder.FlushAsync();
        Assert.That(device.Store.Count, Is.EqualTo(3000), "records kept while the broker is away");
        Assert.That(_hub.Records, Has.Count.EqualTo(uploaded));

        await _hub.StartAsync();
        await Wait.UntilAsync(() => device.Store.Count == 0, "the backlog is uploaded after the broker came back");
        var last = device.Store.LastSequence;
        Assert.That(_hub.Records.Keys.Order(), Is.EqualTo(Enumerable.Range(1, (int)last).Select(i => (long)i)), "no gaps");
    }

    [Test]
    public async Task ExecuteAsync_LargeBatches_AreGzippedAndDecodeToTheSameRecords()
    {
        await using var device = new TestDevice(_directory.DirectoryPath, _hub.Port, o => o.CompressAboveBytes = 1024);
        var entries = Enumerable.Range(0, 400).Select(i => new TelemetryEntry(TelemetryKind.Metrics, "metrics", "demo", "1", $"{{\"i\":{i},\"text\":\"äöü \\\"quoted\\\"\"}}", 1_700_000_000_000 + i)).ToArray();
        device.Store.Append(entries);
        var stored = TestStores.ReadAll(device.Store);
        await device.StartAsync();

        await Wait.UntilAsync(() => device.Store.Count == 0, "the records are uploaded");

        Assert.That(_hub.Batches.Select(b => b.Gzip), Is.All.True);
        foreach (var record in stored)
        {
            using var expected = JsonDocument.Parse(record.Payload);
            Assert.That(JsonElement.DeepEquals(_hub.Records[record.Sequence], expected.RootElement), Is.True, record.Payload);
        }
    }
}
