using EdgeRuntime.Device.Inference.Onnx;
using EdgeRuntime.EndToEnd.Tests.Infrastructure;
using EdgeRuntime.Host.Tests.Infrastructure;

namespace EdgeRuntime.EndToEnd.Tests;

/// <summary>
/// The device's telemetry reaches the hub's store exactly once, across a broker outage under live inference
/// traffic: every sequence number from the first to the last, none twice, none missing.
/// </summary>
[TestFixture(BrokerKind.Embedded)]
[TestFixture(BrokerKind.Mosquitto)]
public sealed class TelemetryUplinkTests(BrokerKind broker)
{
    [Test]
    public async Task Uplink_BrokerStoppedUnderTraffic_HubEndsWithEveryRecordExactlyOnce()
    {
        await using var fleet = await Fleet.StartAsync(broker);
        var password = await fleet.RegisterDeviceAsync("dev-t");
        var dataDirectory = Path.Combine(fleet.Root, "dev-t");
        TestRepository.WriteModel(Path.Combine(dataDirectory, "models"), "sensor", 1, SyntheticModels.Demo().Bytes);
        var device = await fleet.StartDeviceAsync("dev-t", password, dataDirectory, new Dictionary<string, string>
        {
            // Every prediction becomes a stored sample, and metrics snapshots come every second: plenty of records.
            ["EdgeRuntime__Telemetry__SamplePredictions__sensor"] = "1",
            ["EdgeRuntime__Telemetry__SnapshotIntervalSeconds"] = "1",
            ["EdgeRuntime__Sync__UplinkBatchSize"] = "50",
        });
        await device.WaitReadyAsync();
        using var client = device.CreateClient();

        using var traffic = new CancellationTokenSource();
        var inferences = 0;
        var load = Task.Run(async () =>
        {
            var request = Oip.Fp32Request("input", [1, 4], [1, 2, 3, 4]);
            while (!traffic.IsCancellationRequested)
            {
                var (status, _) = await Oip.PostJsonAsync(client, "/v2/models/sensor/infer", request);
                Assert.That(status, Is.EqualTo(200), "the device keeps serving whatever the link does");
                Interlocked.Increment(ref inferences);
            }
        });

        await Wait.UntilAsync(async () => (await fleet.SummaryAsync("dev-t")).Count >= 100);
        await fleet.StopBrokerAsync();
        var atOutage = Volatile.Read(ref inferences);

        // While the broker is away the records pile up in the device's store, and inference goes on.
        await Wait.UntilAsync(async () => await StoredAsync(client) >= 300 && Volatile.Read(ref inferences) >= atOutage + 300);
        var backlog = await StoredAsync(client);
        await fleet.StartBrokerAsync();

        await Wait.UntilAsync(async () => await StoredAsync(client) < backlog / 2);
        await traffic.CancelAsync();
        await load;

        // Everything the device numbered up to now must arrive, once. Batches commit out of order (events and
        // telemetry travel apart, several batches are in flight), so wait for the range to fill before judging it.
        var (_, last) = await SequenceRangeAsync(client);
        try
        {
            await Wait.UntilAsync(async () => await fleet.SummaryAsync("dev-t") is { Missing: 0 } filled && filled.Last >= last);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"the hub never held records 1..{last} without gaps: {await fleet.SummaryAsync("dev-t")}\n{fleet.Logs(device)}");
        }

        var summary = await fleet.SummaryAsync("dev-t");
        Assert.Multiple(() =>
        {
            Assert.That(summary.First, Is.EqualTo(1), "from the first record");
            Assert.That(summary.Missing, Is.Zero, "no gaps");
            Assert.That(summary.Count, Is.EqualTo(summary.Last - summary.First + 1), "no duplicates and no gaps");
            Assert.That(backlog, Is.GreaterThan(0), "the outage built a backlog");
        });
        var dropped = (await Oip.GetJsonAsync(client, "/v2/edge/telemetry")).Body!["dropped"]!.AsObject();
        Assert.That(dropped.Sum(kv => kv.Value!.GetValue<long>()), Is.Zero, "the device dropped nothing, so every sequence is a real record");
        var samples = await fleet.SendAsync(HttpMethod.Get, "/api/telemetry?device_id=dev-t&type=prediction&limit=1");
        Assert.That(samples!.AsArray(), Has.Count.EqualTo(1), fleet.Logs(device));
    }

    private static async Task<long> StoredAsync(HttpClient client) =>
        (await Oip.GetJsonAsync(client, "/v2/edge/telemetry")).Body!["records"]!.GetValue<long>();

    private static async Task<(long First, long Last)> SequenceRangeAsync(HttpClient client)
    {
        var body = (await Oip.GetJsonAsync(client, "/v2/edge/telemetry")).Body!;
        return (body["first_sequence"]!.GetValue<long>(), body["last_sequence"]!.GetValue<long>());
    }
}
