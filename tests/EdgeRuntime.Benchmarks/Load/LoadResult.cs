using System.Globalization;

namespace EdgeRuntime.Benchmarks.Load;

/// <summary>
/// One measured point as the load script records it: a line of <c>key=value</c> pairs, from the wrk
/// script (tests/bench/infer.lua), from <see cref="RawRun"/>, and with the scenario's own keys in front
/// (<c>kind</c>, <c>model</c>, <c>format</c>, <c>batching</c>, <c>batch</c>, <c>conns</c>).
/// </summary>
internal sealed record LoadResult(IReadOnlyDictionary<string, string> Values)
{
    public string this[string key] => Values.TryGetValue(key, out var value) ? value : "";

    public double Rps => Number("rps");

    public double P50 => Number("p50_us");

    public double P99 => Number("p99_us");

    public long Errors => (long)Number("errors");

    /// <summary>The measurement part of a line: requests, seconds, rate, latency percentiles in µs, errors.</summary>
    public static string Format(List<double> samples, TimeSpan elapsed, long errors)
    {
        samples.Sort();
        double At(double q) => samples.Count == 0 ? 0 : samples[Math.Min(samples.Count - 1, (int)(samples.Count * q))];
        return string.Create(
            CultureInfo.InvariantCulture,
            $"RESULT requests={samples.Count} seconds={elapsed.TotalSeconds:F3} rps={samples.Count / elapsed.TotalSeconds:F1} p50_us={At(0.50):F0} p90_us={At(0.90):F0} p99_us={At(0.99):F0} max_us={At(1):F0} errors={errors}");
    }

    /// <summary>Reads every line of <paramref name="path"/> that carries a result.</summary>
    public static IReadOnlyList<LoadResult> ReadAll(string path) =>
        [.. File.ReadLines(path)
            .Where(line => line.Contains(" rps=", StringComparison.Ordinal))
            .Select(line => new LoadResult(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(pair => pair.Split('=', 2))
                .Where(pair => pair.Length == 2)
                .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal)))];

    private double Number(string key) => double.TryParse(this[key], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : double.NaN;
}
