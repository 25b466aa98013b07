namespace EdgeRuntime.Contracts.Telemetry;

/// <summary>
/// One interval of the device's metrics, as the telemetry store keeps them (record type <c>metrics</c>):
/// the process, the store, and every loaded model version. Counts are for the interval, not totals.
/// </summary>
public sealed record MetricsSnapshot
{
    public long WindowStartMs { get; init; }

    public long WindowEndMs { get; init; }

    /// <summary>CPU time the process used in the interval, in seconds (all cores).</summary>
    public double CpuSeconds { get; init; }

    public long ResidentBytes { get; init; }

    public long StoreRecords { get; init; }

    public long StoreBytes { get; init; }

    public IReadOnlyList<ModelMetricsSnapshot> Models { get; init; } = [];
}

/// <summary>One model version's share of a <see cref="MetricsSnapshot"/>.</summary>
public sealed record ModelMetricsSnapshot
{
    public required string Model { get; init; }

    public required string Version { get; init; }

    public string? ExecutionProvider { get; init; }

    public long Requests { get; init; }

    /// <summary>Failed requests of any kind, the caller's mistakes included.</summary>
    public long Failures { get; init; }

    /// <summary>Failed requests that were not the caller's fault (runtime failures, model unavailable).</summary>
    public long Errors { get; init; }

    /// <summary>Failures by reason (bad_request, too_large, unavailable, internal, cancelled).</summary>
    public IReadOnlyDictionary<string, long>? FailuresByReason { get; init; }

    /// <summary>Inferences as Triton counts them (rows of batched runs).</summary>
    public long Inferences { get; init; }

    public long Executions { get; init; }

    public long CacheHits { get; init; }

    public long CacheMisses { get; init; }

    /// <summary>Latency of answered requests in the interval; null without any.</summary>
    public double? LatencyP50Ms { get; init; }

    public double? LatencyP95Ms { get; init; }

    public double? LatencyP99Ms { get; init; }
}
