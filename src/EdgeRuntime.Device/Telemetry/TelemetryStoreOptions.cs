namespace EdgeRuntime.Device.Telemetry;

/// <summary>The on-device telemetry store (section <c>EdgeRuntime:Telemetry:Store</c>).</summary>
public sealed class TelemetryStoreOptions
{
    public const string SectionName = "EdgeRuntime:Telemetry:Store";

    /// <summary>The SQLite file; defaults to <c>&lt;data&gt;/state.db</c>. A relative path is under the working directory.</summary>
    public string? Path { get; set; }

    /// <summary>Bytes of records kept at most (payload and names plus a per-row overhead); past it the lowest-priority oldest records are evicted.</summary>
    public long MaxBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Records older than this are deleted, whether uploaded or not.</summary>
    public double MaxAgeHours { get; set; } = 24 * 7;

    /// <summary>Records waiting in memory for the writer at most; past it recording drops (lowest priority first) and counts.</summary>
    public int ChannelCapacity { get; set; } = 65_536;

    /// <summary>Records written per transaction at most.</summary>
    public int WriteBatchSize { get; set; } = 4096;
}
