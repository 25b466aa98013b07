namespace EdgeRuntime.FleetSimulator;

/// <summary>Delays collected during a run, summarised as percentiles (nearest rank).</summary>
internal sealed class Percentiles
{
    private readonly Lock _lock = new();
    private readonly List<long> _values = [];

    public void Add(long value)
    {
        lock (_lock)
        {
            _values.Add(value);
        }
    }

    /// <summary>e.g. <c>p50 12 ms, p95 40 ms, p99 85 ms, max 210 ms (n = 300000)</c>.</summary>
    public string Describe()
    {
        long[] sorted;
        lock (_lock)
        {
            sorted = [.. _values];
        }

        if (sorted.Length == 0)
        {
            return "no samples";
        }

        Array.Sort(sorted);
        long At(double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
        return $"p50 {At(0.50)} ms, p95 {At(0.95)} ms, p99 {At(0.99)} ms, max {sorted[^1]} ms (n = {sorted.Length})";
    }
}
