namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// A reading of one <see cref="ModelSeries"/>'s counters, so the next reading can be turned into what
/// happened in between (requests, failures, latency quantiles over the interval).
/// </summary>
internal sealed record SeriesWindow(
    long Successes,
    long Failures,
    long Errors,
    long Inferences,
    long Executions,
    long CacheHits,
    long CacheMisses,
    IReadOnlyDictionary<string, long> FailuresByReason,
    long[] Latency)
{
    public static SeriesWindow Empty { get; } = new(0, 0, 0, 0, 0, 0, 0, new Dictionary<string, long>(), new LatencyHistogram().Snapshot());

    public static SeriesWindow Read(ModelSeries series)
    {
        var failures = series.FailuresByReason;
        return new(
            series.Successes,
            failures.Values.Sum(),
            ModelSeries.ErrorsAmong(failures),
            series.Inferences,
            series.Executions,
            series.CacheHits,
            series.CacheMisses,
            failures,
            series.Latency.Snapshot());
    }

    /// <summary>Requests answered or failed since <paramref name="earlier"/>.</summary>
    public long RequestsSince(SeriesWindow earlier) => Successes - earlier.Successes + Failures - earlier.Failures;

    /// <summary>A latency quantile in milliseconds over the requests answered since <paramref name="earlier"/>.</summary>
    public double? LatencyMsSince(SeriesWindow earlier, double quantile) =>
        LatencyHistogram.QuantileBetween(earlier.Latency, Latency, quantile) / 1e6;
}
