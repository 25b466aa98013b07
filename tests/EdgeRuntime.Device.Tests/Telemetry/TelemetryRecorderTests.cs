using System.Text.Json;
using EdgeRuntime.Device.Telemetry;
using Microsoft.Extensions.Options;

namespace EdgeRuntime.Device.Tests.Telemetry;

/// <summary>The recorder in front of a real store: many writers, a full channel, a full disk, shutdown.</summary>
public sealed class TelemetryRecorderTests
{
    private TestStores _stores = null!;
    private TelemetryStore _store = null!;
    private RecordingLogger<TelemetryRecorder> _logger = null!;

    [SetUp]
    public void SetUp()
    {
        _stores = new TestStores();
        _store = _stores.Open();
        _logger = new RecordingLogger<TelemetryRecorder>();
    }

    [TearDown]
    public void TearDown()
    {
        _store.Dispose();
        _stores.Dispose();
    }

    [Test]
    public async Task Record_FromManyThreads_AllLandWithUniqueSequencesAfterFlush()
    {
        using var recorder = NewRecorder(batchSize: 256);
        await recorder.StartAsync(CancellationToken.None);

        var accepted = 0;
        Parallel.For(0, 8, thread =>
        {
            for (var i = 0; i < 2000; i++)
            {
                if (recorder.Record(TelemetryKind.Metrics, "metrics", "demo", "1", $"{{\"thread\":{thread},\"i\":{i}}}"))
                {
                    Interlocked.Increment(ref accepted);
                }
            }
        });
        await recorder.FlushAsync();

        Assert.That(accepted, Is.EqualTo(16_000));

        var records = TestStores.ReadAll(_store);
        Assert.That(records, Has.Count.EqualTo(16_000));
        Assert.That(records.Select(r => r.Sequence).Distinct().Count(), Is.EqualTo(16_000));
        Assert.That(records.Select(r => r.Payload).Distinct().Count(), Is.EqualTo(16_000), "every record once");
        Assert.That(recorder.Status.Dropped.Values, Is.All.Zero);
        await recorder.StopAsync(CancellationToken.None);
    }

    [Test]
    public async Task Record_ChannelFull_RefusesLowPriorityFirstAndCountsDrops()
    {
        using var recorder = NewRecorder(capacity: 16);

        // Not started, so nothing drains: samples fill half the channel, events the rest.
        var samples = Enumerable.Range(0, 20).Count(_ => recorder.Record(TelemetryKind.Sample, "sample", "demo", "1", "{}"));
        var metrics = Enumerable.Range(0, 20).Count(_ => recorder.Record(TelemetryKind.Metrics, "metrics", "demo", "1", "{}"));
        var events = Enumerable.Range(0, 20).Count(_ => recorder.Record(TelemetryKind.Event, "error", "demo", "1", "{}"));

        Assert.That((samples, metrics, events), Is.EqualTo((8, 4, 4)));
        Assert.That(recorder.Status.Dropped[TelemetryKind.Sample], Is.EqualTo(12));
        Assert.That(recorder.Status.Dropped[TelemetryKind.Metrics], Is.EqualTo(16));
        Assert.That(recorder.Status.Dropped[TelemetryKind.Event], Is.EqualTo(16));

        await recorder.StartAsync(CancellationToken.None);
        await recorder.FlushAsync();

        var records = TestStores.ReadAll(_store);
        Assert.That(records.Count(r => r.Type != TelemetryStore.RecordsDroppedType), Is.EqualTo(16));
        var dropped = records.Single(r => r.Type == TelemetryStore.RecordsDroppedType);
        using var payload = JsonDocument.Parse(dropped.Payload);
        Assert.That(payload.RootElement.GetProperty("reason").GetString(), Is.EqualTo("channel_full"));
        Assert.That(payload.RootElement.GetProperty("dropped").GetProperty("sample").GetInt64(), Is.EqualTo(12));
        Assert.That(_store.Status.Dropped[TelemetryKind.Sample], Is.EqualTo(12), "written down in the store");
        Assert.That(recorder.Status.Dropped[TelemetryKind.Sample], Is.EqualTo(12), "and not counted twice");
        await recorder.StopAsync(CancellationToken.None);
    }

    [Test]
    public async Task FlushAsync_DiskFullThenFreed_KeepsTheBatchAndWritesItOnRetry()
    {
        using var recorder = NewRecorder();
        await recorder.StartAsync(CancellationToken.None);
        _store.SimulateFullDisk(true);
        var payload = $"{{\"pad\":\"{new string('x', 8000)}\"}}";
        for (var i = 0; i < 10; i++)
        {
            Assert.That(recorder.Record(TelemetryKind.Event, "error", "demo", "1", payload), Is.True, "recording never waits for the disk");
        }

        var flush = recorder.FlushAsync();
        await WaitUntilAsync(() => _logger.Logged(1400));

        Assert.That(flush.IsCompleted, Is.False, "nothing is committed while the disk is full");
        Assert.That(_store.Status.Records, Is.Zero);

        _store.SimulateFullDisk(false);
        await flush;

        Assert.That(TestStores.ReadAll(_store).Select(r => r.Sequence), Is.EqualTo(Enumerable.Range(1, 10).Select(i => (long)i)));
        Assert.That(_logger.Logged(1401), Is.True, "recovery is logged");
        await recorder.StopAsync(CancellationToken.None);
    }

    [Test]
    public async Task StopAsync_WithQueuedRecords_WritesThemAllBeforeReturning()
    {
        using var recorder = NewRecorder(batchSize: 100);
        await recorder.StartAsync(CancellationToken.None);
        for (var i = 0; i < 5000; i++)
        {
            recorder.Record(TelemetryKind.Metrics, "metrics", null, null, "{}");
        }

        await recorder.StopAsync(CancellationToken.None);

        Assert.That(_store.Status.Records, Is.EqualTo(5000));
        Assert.That(recorder.Record(TelemetryKind.Event, "late", null, null, "{}"), Is.False, "a stopped recorder takes nothing more");
        Assert.That(recorder.FlushAsync().IsCompletedSuccessfully, Is.True);
    }

    [Test]
    public async Task StopAsync_BeforeTheWriterLoopRan_StillWritesTheQueuedRecords()
    {
        // A host stopping at once can cancel the writer loop before it starts; this is that case without the race.
        using var recorder = NewRecorder();
        for (var i = 0; i < 100; i++)
        {
            recorder.Record(TelemetryKind.Event, "error", null, null, "{}");
        }

        await recorder.StopAsync(CancellationToken.None);

        Assert.That(_store.Status.Records, Is.EqualTo(100));
    }

    private TelemetryRecorder NewRecorder(int capacity = 65_536, int batchSize = 4096) =>
        new(_store, Options.Create(new TelemetryStoreOptions { ChannelCapacity = capacity, WriteBatchSize = batchSize }), _logger);

    /// <summary>Polls until the recorder reached a state on its own; 60 s is only reached when it is broken.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("condition not met within 60 s");
            }

            await Task.Delay(10);
        }
    }
}
