using System.Diagnostics;
using System.Globalization;
using EdgeRuntime.Device.Sync;
using EdgeRuntime.Device.Telemetry;
using Microsoft.Extensions.Logging;

namespace EdgeRuntime.FleetSimulator;

/// <summary>
/// <c>fleet</c>: N virtual devices, each sending one telemetry batch per interval for a while, against a running hub.
/// Reports what the devices saw (creation to the broker's acknowledgement) and what the hub stored (its own ingest
/// delay, stored minus created, from <c>/api/telemetry/delay</c>).
/// </summary>
internal static class FleetRun
{
    public static async Task<int> RunAsync(SimulatorArguments args, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var devices = args.Int("devices", 100);
        var seconds = args.Int("duration", 60);
        var recordsPerBatch = args.Int("records-per-batch", 10);
        var intervalMs = args.Int("interval-ms", 1000);
        var prefix = args.Text("prefix", "sim");
        var (host, port) = args.Broker();
        using var hub = new HubApi(new Uri(args.Text("hub", "http://127.0.0.1:8090")), args.Text("token"));

        var ids = Enumerable.Range(0, devices).Select(i => $"{prefix}-{i:D5}").ToArray();
        var clock = Stopwatch.StartNew();
        var passwords = new string[devices];
        await Parallel.ForAsync(0, devices, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (i, ct) =>
            passwords[i] = await hub.RegisterAsync(ids[i], prefix, ct).ConfigureAwait(false)).ConfigureAwait(false);
        Console.WriteLine($"registered {devices} devices in {clock.Elapsed.TotalSeconds:F1} s");

        var acked = new Percentiles();
        var fleet = new VirtualDevice[devices];
        var outboxes = new InMemoryOutbox[devices];
        for (var i = 0; i < devices; i++)
        {
            var options = new SyncOptions
            {
                Enabled = true,
                DeviceId = ids[i],
                Password = passwords[i],
                Host = host,
                Port = port,
                UplinkBatchSize = recordsPerBatch,
                KeepAliveSeconds = 60,
                ReconnectMinDelayMs = 1000,
                ReconnectMaxDelayMs = 10_000,
            };
            outboxes[i] = new InMemoryOutbox((oldestMs, _) => acked.Add(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - oldestMs));
            fleet[i] = new VirtualDevice(options, outboxes[i], loggers);
        }

        try
        {
            clock.Restart();
            await Parallel.ForAsync(0, devices, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cancellationToken }, async (i, ct) =>
            {
                await fleet[i].StartAsync(ct).ConfigureAwait(false);
                await fleet[i].WaitConnectedAsync(ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
            Console.WriteLine($"connected {devices} devices in {clock.Elapsed.TotalSeconds:F1} s");

            var fromMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var batches = await ProduceAsync(fleet, outboxes, recordsPerBatch, intervalMs, TimeSpan.FromSeconds(seconds), cancellationToken).ConfigureAwait(false);
            var toMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

            var drained = Stopwatch.StartNew();
            while (fleet.Any(d => d.Outbox.Count > 0) && drained.Elapsed < TimeSpan.FromMinutes(2))
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }

            var left = fleet.Sum(d => d.Outbox.Count);
            var records = (long)batches * recordsPerBatch;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"sent {batches} batches ({records} records) from {devices} devices over {seconds} s: {batches / (double)seconds:F0} batches/s, {records / (double)seconds:F0} records/s; {left} records left unacknowledged"));
            Console.WriteLine($"device side, creation to acknowledgement per batch: {acked.Describe()}");
            // Through an external broker the devices' acknowledgements come from the broker, and the hub may still be
            // working through its queue: judge the delays only once the hub holds every record of the window.
            var delay = await hub.IngestDelayAsync(fromMs, toMs, prefix + "-", cancellationToken).ConfigureAwait(false);
            for (var waited = Stopwatch.StartNew(); delay["count"]!.GetValue<long>() < records && waited.Elapsed < TimeSpan.FromMinutes(2);)
            {
                await Task.Delay(500, cancellationToken).ConfigureAwait(false);
                delay = await hub.IngestDelayAsync(fromMs, toMs, prefix + "-", cancellationToken).ConfigureAwait(false);
            }

            Console.WriteLine($"hub side, ingest delay (stored - created) per record: {delay.ToJsonString()}");
            if (delay["count"]!.GetValue<long>() < records)
            {
                Console.WriteLine($"the hub holds only {delay["count"]} of the {records} records");
                return 1;
            }

            return left == 0 ? 0 : 1;
        }
        finally
        {
            await Parallel.ForEachAsync(fleet, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (device, _) => await device.DisposeAsync().ConfigureAwait(false)).ConfigureAwait(false);
        }
    }

    /// <summary>Each device appends a batch once per interval, the devices spread evenly over the interval.</summary>
    private static async Task<long> ProduceAsync(VirtualDevice[] fleet, InMemoryOutbox[] outboxes, int recordsPerBatch, int intervalMs, TimeSpan duration, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var next = new long[fleet.Length];
        for (var i = 0; i < fleet.Length; i++)
        {
            next[i] = (long)i * intervalMs / fleet.Length;
        }

        long batches = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(5));
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            var elapsed = (long)Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (elapsed >= duration.TotalMilliseconds)
            {
                return batches;
            }

            for (var i = 0; i < fleet.Length; i++)
            {
                if (next[i] <= elapsed)
                {
                    outboxes[i].Append(TelemetryKind.Metrics, "metrics", VirtualDevice.MetricsPayload, recordsPerBatch);
                    fleet[i].Wake();
                    next[i] += intervalMs;
                    batches++;
                }
            }
        }

        return batches;
    }
}
