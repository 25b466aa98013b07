using EdgeRuntime.Device.Telemetry;

namespace EdgeRuntime.Device.Tests.Telemetry;

/// <summary>A temporary directory for real store files, and entries of a chosen size.</summary>
internal sealed class TestStores : IDisposable
{
    public TestStores()
    {
        Directory.CreateDirectory(DirectoryPath);
    }

    public string DirectoryPath { get; } = Path.Combine(Path.GetTempPath(), "edge-runtime-tests", $"telemetry-{Guid.NewGuid():N}");

    public string StatePath => Path.Combine(DirectoryPath, "state.db");

    /// <summary>An entry whose JSON payload is <paramref name="payloadBytes"/> long (at least 12).</summary>
    public static TelemetryEntry Entry(TelemetryKind kind, long timestampMs = 1_700_000_000_000, int payloadBytes = 100, string type = "test") =>
        new(kind, type, null, null, $"{{\"pad\":\"{new string('x', Math.Max(0, payloadBytes - 10))}\"}}", timestampMs);

    public static TelemetryEntry[] Entries(TelemetryKind kind, int count, long timestampMs = 1_700_000_000_000, int payloadBytes = 100) =>
        [.. Enumerable.Range(0, count).Select(_ => Entry(kind, timestampMs, payloadBytes))];

    public TelemetryStore Open(long maxBytes = 64L * 1024 * 1024, TimeSpan? maxAge = null, TimeProvider? time = null) =>
        new(StatePath, maxBytes, maxAge ?? TimeSpan.FromDays(3650), time);

    /// <summary>Every record in the store, read in ranges as the uplink would.</summary>
    public static List<TelemetryRecord> ReadAll(TelemetryStore store, int range = 1000)
    {
        var all = new List<TelemetryRecord>();
        for (var page = store.Read(0, range); page.Count > 0; page = store.Read(page[^1].Sequence, range))
        {
            all.AddRange(page);
        }

        return all;
    }

    public void Dispose()
    {
        if (Directory.Exists(DirectoryPath))
        {
            Directory.Delete(DirectoryPath, recursive: true);
        }
    }
}
