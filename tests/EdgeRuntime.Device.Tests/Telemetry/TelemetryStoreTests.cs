using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EdgeRuntime.Device.Telemetry;

namespace EdgeRuntime.Device.Tests.Telemetry;

/// <summary>The SQLite telemetry store on real files: sequences, ranges, budget and age eviction, failures, and a killed writer.</summary>
public sealed class TelemetryStoreTests
{
    private TestStores _stores = null!;

    [SetUp]
    public void SetUp() => _stores = new TestStores();

    [TearDown]
    public void TearDown() => _stores.Dispose();

    [Test]
    public void Append_FreshStore_AssignsConsecutiveSequencesFromOne()
    {
        using var store = _stores.Open();

        var last = store.Append([TestStores.Entry(TelemetryKind.Event), TestStores.Entry(TelemetryKind.Metrics), TestStores.Entry(TelemetryKind.Sample)]);

        Assert.That(last, Is.EqualTo(3));
        Assert.That(TestStores.ReadAll(store).Select(r => (r.Sequence, r.Kind)), Is.EqualTo(new[] { (1L, TelemetryKind.Event), (2L, TelemetryKind.Metrics), (3L, TelemetryKind.Sample) }));
        Assert.That(store.Status.Records, Is.EqualTo(3));
        Assert.That(store.Status.FirstSequence, Is.EqualTo(1));
        Assert.That(store.Status.LastSequence, Is.EqualTo(3));
    }

    [Test]
    public void Append_AfterReopen_ContinuesTheSequence()
    {
        using (var store = _stores.Open())
        {
            store.Append(TestStores.Entries(TelemetryKind.Metrics, 5));
        }

        using var reopened = _stores.Open();
        var last = reopened.Append(TestStores.Entries(TelemetryKind.Metrics, 2));

        Assert.That(last, Is.EqualTo(7));
        Assert.That(TestStores.ReadAll(reopened).Select(r => r.Sequence), Is.EqualTo(new long[] { 1, 2, 3, 4, 5, 6, 7 }));
    }

    [Test]
    public void Append_AfterEverythingDeletedAndReopened_NeverReusesASequence()
    {
        using (var store = _stores.Open())
        {
            store.Append(TestStores.Entries(TelemetryKind.Event, 10));
            Assert.That(store.Delete(1, 10), Is.EqualTo(10));
            Assert.That(store.Status.Records, Is.Zero);
        }

        using var reopened = _stores.Open();
        Assert.That(reopened.Status.LastSequence, Is.EqualTo(10));
        Assert.That(reopened.Status.FirstSequence, Is.Zero, "empty");

        var last = reopened.Append([TestStores.Entry(TelemetryKind.Event)]);

        Assert.That(last, Is.EqualTo(11));
        Assert.That(TestStores.ReadAll(reopened).Single().Sequence, Is.EqualTo(11));
    }

    [Test]
    public void Read_AfterSequence_ReturnsRecordsOldestFirstInRangesWithEveryField()
    {
        using var store = _stores.Open();
        store.Append([.. Enumerable.Range(1, 10).Select(i => new TelemetryEntry(TelemetryKind.Drift, "drift_report", "demo", i.ToString(CultureInfo.InvariantCulture), $"{{\"i\":{i}}}", 1_700_000_000_000 + i))]);

        var first = store.Read(0, 4);
        var second = store.Read(first[^1].Sequence, 4);
        var third = store.Read(second[^1].Sequence, 4);
        var after = store.Read(third[^1].Sequence, 4);

        Assert.That(first.Select(r => r.Sequence), Is.EqualTo(new long[] { 1, 2, 3, 4 }));
        Assert.That(second.Select(r => r.Sequence), Is.EqualTo(new long[] { 5, 6, 7, 8 }));
        Assert.That(third.Select(r => r.Sequence), Is.EqualTo(new long[] { 9, 10 }));
        Assert.That(after, Is.Empty);
        Assert.That(second[0], Is.EqualTo(new TelemetryRecord(5, TelemetryKind.Drift, 1_700_000_000_005, "drift_report", "demo", "5", "{\"i\":5}")));
    }

    [Test]
    public void Delete_AcknowledgedRange_DeletesOnlyThatRange()
    {
        using var store = _stores.Open();
        store.Append(TestStores.Entries(TelemetryKind.Metrics, 10));
        var bytesBefore = store.Status.Bytes;

        var deleted = store.Delete(1, 4);

        Assert.That(deleted, Is.EqualTo(4));
        Assert.That(TestStores.ReadAll(store).Select(r => r.Sequence), Is.EqualTo(new long[] { 5, 6, 7, 8, 9, 10 }));
        Assert.That(store.Status.Records, Is.EqualTo(6));
        Assert.That(store.Status.RecordsByKind[TelemetryKind.Metrics], Is.EqualTo(6));
        Assert.That(store.Status.Bytes, Is.EqualTo(bytesBefore * 6 / 10));
        Assert.That(store.Status.FirstSequence, Is.EqualTo(5));
        Assert.That(store.Delete(1, 4), Is.Zero, "a range acknowledged twice deletes nothing more");
        Assert.That(store.Delete(9, 7), Is.Zero, "an empty range");
    }

    [Test]
    public void Append_OverTinyQuota_EvictsSamplesThenMetricsThenDriftOldestFirstAndKeepsEvents()
    {
        var perRecord = TelemetryStore.RecordBytes("test", null, null, TestStores.Entry(TelemetryKind.Event).Payload);
        var maxBytes = 45L * perRecord;
        using var store = _stores.Open(maxBytes);
        foreach (var kind in new[] { TelemetryKind.Event, TelemetryKind.Drift, TelemetryKind.Metrics, TelemetryKind.Sample })
        {
            store.Append(TestStores.Entries(kind, 10));
        }

        Assert.That(store.Status.Dropped.Values, Is.All.Zero, "40 records fit in a budget of 45");
        var driftBefore = TestStores.ReadAll(store).Where(r => r.Kind == TelemetryKind.Drift).Select(r => r.Sequence).ToList();

        // 25 more events make 65 records: 25 must go (down to 90 % of the budget), and not one event.
        store.Append(TestStores.Entries(TelemetryKind.Event, 25));

        var status = store.Status;
        var left = TestStores.ReadAll(store);
        Assert.That(status.RecordsByKind[TelemetryKind.Sample], Is.Zero, "samples go first");
        Assert.That(status.RecordsByKind[TelemetryKind.Metrics], Is.Zero, "metrics next");
        Assert.That(status.RecordsByKind[TelemetryKind.Drift], Is.InRange(1, 9), "then drift, only as much as needed");
        Assert.That(status.RecordsByKind[TelemetryKind.Event], Is.EqualTo(36), "all 35 events kept, plus records_dropped");
        Assert.That(status.Dropped[TelemetryKind.Sample], Is.EqualTo(10));
        Assert.That(status.Dropped[TelemetryKind.Metrics], Is.EqualTo(10));
        Assert.That(status.Dropped[TelemetryKind.Drift], Is.EqualTo(10 - status.RecordsByKind[TelemetryKind.Drift]));
        Assert.That(status.Dropped[TelemetryKind.Event], Is.Zero);
        Assert.That(status.Bytes, Is.LessThanOrEqualTo(maxBytes));
        Assert.That(status.Records, Is.EqualTo(left.Count));
        Assert.That(left.Where(r => r.Kind == TelemetryKind.Drift).Select(r => r.Sequence), Is.EqualTo(driftBefore.TakeLast((int)status.RecordsByKind[TelemetryKind.Drift])), "the oldest drift reports went");
        var dropped = left.Single(r => r.Type == TelemetryStore.RecordsDroppedType);
        Assert.That(dropped.Kind, Is.EqualTo(TelemetryKind.Event));
        Assert.That(dropped.Sequence, Is.EqualTo(status.LastSequence));
        using var payload = JsonDocument.Parse(dropped.Payload);
        Assert.That(payload.RootElement.GetProperty("reason").GetString(), Is.EqualTo("quota"));
        var counts = payload.RootElement.GetProperty("dropped");
        Assert.That(counts.GetProperty("sample").GetInt64(), Is.EqualTo(10));
        Assert.That(counts.GetProperty("metrics").GetInt64(), Is.EqualTo(10));
        Assert.That(counts.GetProperty("drift").GetInt64(), Is.EqualTo(status.Dropped[TelemetryKind.Drift]));
        Assert.That(counts.TryGetProperty("event", out _), Is.False);
    }

    [Test]
    public void Append_OverTinyQuota_DropCountsSurviveReopen()
    {
        var perRecord = TelemetryStore.RecordBytes("test", null, null, TestStores.Entry(TelemetryKind.Sample).Payload);
        IReadOnlyDictionary<TelemetryKind, long> dropped;
        using (var store = _stores.Open(20L * perRecord))
        {
            store.Append(TestStores.Entries(TelemetryKind.Sample, 15));
            store.Append(TestStores.Entries(TelemetryKind.Sample, 15));
            dropped = store.Status.Dropped;
            Assert.That(dropped[TelemetryKind.Sample], Is.GreaterThan(0));
        }

        using var reopened = _stores.Open(20L * perRecord);

        Assert.That(reopened.Status.Dropped, Is.EquivalentTo(dropped));
        Assert.That(reopened.Status.RecordsByKind[TelemetryKind.Sample] + reopened.Status.Dropped[TelemetryKind.Sample], Is.EqualTo(30));
    }

    [Test]
    public void Append_OnlyEventsOverQuota_EvictsTheOldestEventsOnce()
    {
        var perRecord = TelemetryStore.RecordBytes("test", null, null, TestStores.Entry(TelemetryKind.Event).Payload);
        using var store = _stores.Open(10L * perRecord);

        store.Append(TestStores.Entries(TelemetryKind.Event, 12));

        var left = TestStores.ReadAll(store);
        Assert.That(left.Count(r => r.Type == TelemetryStore.RecordsDroppedType), Is.EqualTo(1));
        Assert.That(left.Where(r => r.Type == "test").Select(r => r.Sequence), Is.EqualTo(Enumerable.Range(1, 12).Select(i => (long)i).TakeLast(left.Count - 1)), "the oldest events went");
        Assert.That(store.Status.Dropped[TelemetryKind.Event], Is.EqualTo(12 - (left.Count - 1)));
    }

    [Test]
    public void Append_RecordsPastMaxAge_AreDeletedAndCountedAsDropped()
    {
        var time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        using var store = _stores.Open(maxAge: TimeSpan.FromHours(1), time: time);
        var start = time.GetUtcNow().ToUnixTimeMilliseconds();
        store.Append([.. TestStores.Entries(TelemetryKind.Metrics, 3, start), .. TestStores.Entries(TelemetryKind.Event, 2, start)]);
        time.Advance(TimeSpan.FromMinutes(30));
        store.Append(TestStores.Entries(TelemetryKind.Sample, 1, time.GetUtcNow().ToUnixTimeMilliseconds()));
        Assert.That(store.Status.Records, Is.EqualTo(6), "nothing is an hour old yet");

        time.Advance(TimeSpan.FromMinutes(45));
        var last = store.Append(TestStores.Entries(TelemetryKind.Drift, 1, time.GetUtcNow().ToUnixTimeMilliseconds()));

        var left = TestStores.ReadAll(store);
        Assert.That(left.Select(r => r.Kind), Is.EqualTo(new[] { TelemetryKind.Sample, TelemetryKind.Drift, TelemetryKind.Event }), "the sample and the new drift report are younger than an hour");
        Assert.That(store.Status.Dropped[TelemetryKind.Metrics], Is.EqualTo(3));
        Assert.That(store.Status.Dropped[TelemetryKind.Event], Is.EqualTo(2));
        Assert.That(left[^1].Sequence, Is.EqualTo(last));
        using var payload = JsonDocument.Parse(left[^1].Payload);
        Assert.That(left[^1].Type, Is.EqualTo(TelemetryStore.RecordsDroppedType));
        Assert.That(payload.RootElement.GetProperty("reason").GetString(), Is.EqualTo("age"));
        Assert.That(payload.RootElement.GetProperty("dropped").GetProperty("metrics").GetInt64(), Is.EqualTo(3));
        Assert.That(payload.RootElement.GetProperty("dropped").GetProperty("event").GetInt64(), Is.EqualTo(2));
    }

    [Test]
    public void Append_DiskFull_ThrowsNamingTheFileAndStoresNothing()
    {
        using var store = _stores.Open();
        store.Append(TestStores.Entries(TelemetryKind.Event, 2));
        var before = store.Status;
        store.SimulateFullDisk(true);

        var error = Assert.Throws<TelemetryStoreException>(() => store.Append(TestStores.Entries(TelemetryKind.Metrics, 20, payloadBytes: 8000)));

        Assert.That(error!.Message, Does.Contain(_stores.StatePath).And.Contain("full"));
        Assert.That(store.Status, Is.EqualTo(before));
        Assert.That(TestStores.ReadAll(store), Has.Count.EqualTo(2));
        store.SimulateFullDisk(false);
        Assert.That(store.Append(TestStores.Entries(TelemetryKind.Metrics, 20, payloadBytes: 8000)), Is.EqualTo(22), "the failed append used no sequence numbers");
        Assert.That(store.CheckIntegrity(), Is.EqualTo("ok"));
    }

    [Test]
    public void Constructor_NotADatabase_ThrowsNamingTheFile()
    {
        File.WriteAllText(_stores.StatePath, new string('#', 8192));

        var error = Assert.Throws<TelemetryStoreException>(() => _stores.Open());

        Assert.That(error!.Message, Does.Contain(_stores.StatePath));
        Assert.That(error.IsCorrupt, Is.True);
    }

    [Test]
    public void Status_AfterReopen_MatchesWhatWasStored()
    {
        TelemetryStoreStatus before;
        using (var store = _stores.Open())
        {
            store.Append([.. TestStores.Entries(TelemetryKind.Sample, 3), .. TestStores.Entries(TelemetryKind.Drift, 2, payloadBytes: 500)]);
            store.Delete(1, 1);
            before = store.Status;
        }

        using var reopened = _stores.Open();
        var after = reopened.Status;

        Assert.That((after.Records, after.Bytes, after.FirstSequence, after.LastSequence), Is.EqualTo((before.Records, before.Bytes, before.FirstSequence, before.LastSequence)));
        Assert.That(after.RecordsByKind, Is.EquivalentTo(before.RecordsByKind));
        Assert.That(after.RecordsByKind[TelemetryKind.Sample], Is.EqualTo(2));
    }

    [Test]
    public async Task Append_WriterKilledMidStream_EveryCommittedRecordSurvives()
    {
        const int BatchSize = 100;
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "EdgeRuntime.TelemetryWriter.dll"));
        info.ArgumentList.Add(_stores.StatePath);
        info.ArgumentList.Add(BatchSize.ToString(CultureInfo.InvariantCulture));
        info.Environment["DOTNET_gcServer"] = "0";
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the telemetry writer");
        long committed = 0;
        var exitCode = 0;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            while (committed < 5000)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
                    ?? throw new InvalidOperationException($"the writer exited early with code {process.ExitCode}");
                committed = Committed(line, committed);
            }

            // Process.Kill sends SIGKILL on Unix: the writer dies between any two instructions, mid-transaction or not.
            process.Kill();
            await process.WaitForExitAsync(timeout.Token);
            exitCode = process.ExitCode;

            // Lines still in the pipe were printed after commits that happened before the kill.
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                committed = Committed(line, committed);
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }

        Assert.That(exitCode, Is.EqualTo(128 + 9), "killed by SIGKILL (9)");
        using var store = _stores.Open();
        var records = TestStores.ReadAll(store, range: 5000);

        Assert.That(store.CheckIntegrity(), Is.EqualTo("ok"));
        Assert.That(records, Has.Count.GreaterThanOrEqualTo(committed), "every record reported committed is there");
        Assert.That(records.Select(r => r.Sequence), Is.EqualTo(Enumerable.Range(1, records.Count).Select(i => (long)i)), "no gaps");
        Assert.That(records.Count % BatchSize, Is.Zero, "whole batches only: a transaction cut by the kill left nothing");
        Assert.That(store.Status.LastSequence, Is.EqualTo(records.Count));
        Assert.That(store.Append([TestStores.Entry(TelemetryKind.Event)]), Is.EqualTo(records.Count + 1));
    }

    private static long Committed(string line, long previous) =>
        line.StartsWith("committed ", StringComparison.Ordinal) ? long.Parse(line["committed ".Length..], CultureInfo.InvariantCulture) : previous;
}
