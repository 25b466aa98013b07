using System.Diagnostics;
using System.Globalization;
using EdgeRuntime.Device.Sync;
using EdgeRuntime.Device.Telemetry;
using Microsoft.Extensions.Logging;

namespace EdgeRuntime.FleetSimulator;

/// <summary>
/// <c>drain</c>: one device that was offline with a backlog of N records in its real SQLite telemetry store connects,
/// and the run times how long until the hub's store holds all N (end to end), checking that none is missing.
/// </summary>
internal static class DrainRun
{
    public static async Task<int> RunAsync(SimulatorArguments args, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var records = args.Int("records", 1_000_000);
        var deviceId = args.Text("device", $"drain-{Environment.ProcessId}");
        var (host, port) = args.Broker();
        using var hub = new HubApi(new Uri(args.Text("hub", "http://127.0.0.1:8090")), args.Text("token"));
        var password = await hub.RegisterAsync(deviceId, "drain", cancellationToken).ConfigureAwait(false);

        var directory = Path.Combine(Path.GetTempPath(), "edge-fleet-sim", deviceId);
        Directory.CreateDirectory(directory);
        using var store = TelemetryStore.Open(Path.Combine(directory, "state.db"), 8L << 30, TimeSpan.FromDays(30), loggers.CreateLogger("sim.store"));
        var clock = Stopwatch.StartNew();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var written = 0; written < records; written += 10_000)
        {
            var chunk = Enumerable.Range(0, Math.Min(10_000, records - written))
                .Select(i => new TelemetryEntry(TelemetryKind.Metrics, "metrics", "demo", "1", VirtualDevice.MetricsPayload, now))
                .ToList();
            store.Append(chunk);
        }

        Console.WriteLine($"backlog of {store.Count} records written in {clock.Elapsed.TotalSeconds:F1} s; connecting");
        var options = new SyncOptions
        {
            Enabled = true,
            DeviceId = deviceId,
            Password = password,
            Host = host,
            Port = port,
            UplinkBatchSize = args.Int("batch", 1000),
            UplinkMaxInFlight = args.Int("in-flight", 8),
            CompressAboveBytes = args.Int("compress-above", new SyncOptions().CompressAboveBytes),
        };
        await using var device = new VirtualDevice(options, store, loggers);
        clock.Restart();
        await device.StartAsync(cancellationToken).ConfigureAwait(false);
        await device.WaitConnectedAsync(cancellationToken).ConfigureAwait(false);
        var connected = clock.Elapsed;

        // Watch the device's store empty first, and only then ask the hub: counting a million stored records per poll
        // would load the hub the run is measuring.
        while (store.Count > 0 && clock.Elapsed < TimeSpan.FromMinutes(10))
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        var emptied = clock.Elapsed;
        (long Count, long Missing) summary;
        while (true)
        {
            summary = await hub.SummaryAsync(deviceId, cancellationToken).ConfigureAwait(false);
            if (summary.Count >= records || clock.Elapsed > TimeSpan.FromMinutes(10))
            {
                break;
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        var stored = clock.Elapsed - connected;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"drained {summary.Count} of {records} records into the hub store in {stored.TotalSeconds:F2} s after connecting: {summary.Count / stored.TotalSeconds:F0} records/s end to end; device store empty after {(emptied - connected).TotalSeconds:F2} s; missing sequence numbers: {summary.Missing}"));
        return summary.Count == records && summary.Missing == 0 ? 0 : 1;
    }
}
