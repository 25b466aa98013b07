using System.Diagnostics;
using System.Globalization;
using EdgeRuntime.Device.Telemetry;

namespace EdgeRuntime.Benchmarks.Telemetry;

/// <summary>
/// The telemetry store's write rate and read-for-upload rate: appends <c>--records</c> (1,000,000) metric snapshots of
/// about 200 bytes of JSON in batches of <c>--batch</c> (4096, the recorder's default) to a fresh store in a temporary
/// directory, then reads them all back as the uplink would, <c>--range</c> (5000) at a time, deleting each range
/// after reading it. Only the store calls are timed, not building the payloads. Prints a markdown table.
/// <code>store [--records 1000000] [--batch 4096] [--range 5000]</code>
/// </summary>
internal static class StoreThroughput
{
    public static int Run(CommandArguments arguments)
    {
        var records = (int)arguments.Number("records", 1_000_000);
        var batchSize = (int)arguments.Number("batch", 4096);
        var range = (int)arguments.Number("range", 5000);
        var directory = Path.Combine(Path.GetTempPath(), $"edge-bench-store-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            var path = Path.Combine(directory, "state.db");
            // A budget above what 1 M records take, so that the figures are appends, not evictions.
            using var store = new TelemetryStore(path, maxBytes: 4L * 1024 * 1024 * 1024, maxAge: TimeSpan.FromDays(1));
            var cpu = CpuTime();
            var write = Write(store, records, batchSize);
            var writeCpu = CpuTime() - cpu;
            var accounted = store.Status.Bytes;
            var fileBytes = FileBytes(path);
            cpu = CpuTime();
            var (read, deleting, uploaded) = ReadAndDelete(store, range);
            var readCpu = CpuTime() - cpu;
            if (uploaded != records || store.Status.Records != 0)
            {
                throw new InvalidOperationException($"read {uploaded} of {records} records; {store.Status.Records} left");
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Telemetry store, {records:N0} records of ~{accounted / records - TelemetryStore.RowOverheadBytes} bytes, {Environment.ProcessorCount} cores:"));
            Console.WriteLine();
            Console.WriteLine("| operation | records/s (wall clock) | records per CPU-second | wall | CPU |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| append, batches of {batchSize} | {records / write.TotalSeconds:N0} | {records / writeCpu.TotalSeconds:N0} | {write.TotalSeconds:F2} s | {writeCpu.TotalSeconds:F2} s |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| read for upload + delete, ranges of {range} | {records / read.TotalSeconds:N0} | {records / readCpu.TotalSeconds:N0} | {read.TotalSeconds:F2} s | {readCpu.TotalSeconds:F2} s |"));
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"File after the appends: {fileBytes / 1048576.0:F0} MiB (state.db + WAL), {fileBytes / (double)records:F0} bytes/record on disk; accounted {accounted / (double)records:F0} bytes/record. Of the read-for-upload wall time, {deleting.TotalSeconds:F2} s were the deletes."));
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static TimeSpan Write(TelemetryStore store, int records, int batchSize)
    {
        var elapsed = TimeSpan.Zero;
        var batch = new List<TelemetryEntry>(batchSize);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var written = 0; written < records; written += batch.Count)
        {
            batch.Clear();
            for (var i = written; i < Math.Min(records, written + batchSize); i++)
            {
                batch.Add(new TelemetryEntry(TelemetryKind.Metrics, "metrics_snapshot", "resnet50", "3", MetricsPayload(i), now + i));
            }

            var started = Stopwatch.GetTimestamp();
            store.Append(batch);
            elapsed += Stopwatch.GetElapsedTime(started);
        }

        return elapsed;
    }

    private static (TimeSpan Elapsed, TimeSpan Deleting, long Records) ReadAndDelete(TelemetryStore store, int range)
    {
        var started = Stopwatch.GetTimestamp();
        long after = 0;
        long uploaded = 0;
        var deleting = TimeSpan.Zero;
        for (var page = store.Read(after, range); page.Count > 0; page = store.Read(after, range))
        {
            var deleteStarted = Stopwatch.GetTimestamp();
            store.Delete(page[0].Sequence, page[^1].Sequence);
            deleting += Stopwatch.GetElapsedTime(deleteStarted);
            after = page[^1].Sequence;
            uploaded += page.Count;
        }

        return (Stopwatch.GetElapsedTime(started), deleting, uploaded);
    }

    /// <summary>A metrics snapshot as the device writes one every few seconds, about 200 bytes.</summary>
    private static string MetricsPayload(int i) => string.Create(
        CultureInfo.InvariantCulture,
        $"{{\"window_s\":10,\"requests\":{1000 + (i % 977)},\"errors\":{i % 7},\"latency_ms\":{{\"p50\":{1.5 + (i % 13 * 0.1):F2},\"p90\":{3.2 + (i % 17 * 0.1):F2},\"p99\":{7.9 + (i % 19 * 0.1):F2}}},\"queue_depth\":{i % 5},\"batch_mean\":{2.5 + (i % 3):F1},\"cache_hit_ratio\":0.{i % 100:D2},\"provider\":\"CPUExecutionProvider\"}}");

    /// <summary>This process's CPU time: on a machine shared with other work, records per CPU-second vary less than per wall-clock second.</summary>
    private static TimeSpan CpuTime()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    private static long FileBytes(string path) =>
        new[] { path, path + "-wal" }.Where(File.Exists).Sum(f => new FileInfo(f).Length);
}
