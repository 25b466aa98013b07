using System.Numerics;

namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// A lock-free latency histogram with log-linear buckets (8 per power of two, so a bucket is at most 12.5 %
/// wide) from 1 ns to the largest <see cref="long"/>. Alert rules and metric snapshots read quantiles over a
/// window from the difference of two <see cref="Snapshot"/>s; Prometheus gets its own coarser histogram.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBucketBits = 3;
    private const int SubBuckets = 1 << SubBucketBits;
    private const int BucketCount = 64 * SubBuckets;

    private readonly long[] _counts = new long[BucketCount];

    /// <summary>Counts one observation of <paramref name="nanoseconds"/>.</summary>
    public void Record(long nanoseconds) => Interlocked.Increment(ref _counts[IndexOf(Math.Max(1, nanoseconds))]);

    /// <summary>The counts so far, to subtract from a later snapshot.</summary>
    public long[] Snapshot()
    {
        var copy = new long[BucketCount];
        for (var i = 0; i < BucketCount; i++)
        {
            copy[i] = Volatile.Read(ref _counts[i]);
        }

        return copy;
    }

    /// <summary>How many observations fell between two snapshots.</summary>
    public static long CountBetween(long[] earlier, long[] later)
    {
        long total = 0;
        for (var i = 0; i < later.Length; i++)
        {
            total += later[i] - earlier[i];
        }

        return total;
    }

    /// <summary>
    /// The <paramref name="quantile"/> (0..1) of the observations between two snapshots, in nanoseconds (the
    /// middle of the bucket it falls in); null when there were none.
    /// </summary>
    public static double? QuantileBetween(long[] earlier, long[] later, double quantile)
    {
        var total = CountBetween(earlier, later);
        if (total == 0)
        {
            return null;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(quantile * total));
        long seen = 0;
        for (var i = 0; i < later.Length; i++)
        {
            seen += later[i] - earlier[i];
            if (seen >= rank)
            {
                var (low, high) = BoundsOf(i);
                return (low + high) / 2.0;
            }
        }

        return null;
    }

    /// <summary>
    /// The <paramref name="quantile"/> (0..1) of every observation so far, in nanoseconds, without a snapshot (for a
    /// check that runs often, such as a rollout guardrail); null when there are none. Observations recorded while it
    /// reads may or may not count.
    /// </summary>
    public double? Quantile(double quantile)
    {
        long total = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            total += Volatile.Read(ref _counts[i]);
        }

        if (total == 0)
        {
            return null;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(quantile * total));
        long seen = 0;
        var last = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            var count = Volatile.Read(ref _counts[i]);
            if (count == 0)
            {
                continue;
            }

            seen += count;
            last = i;
            if (seen >= rank)
            {
                break;
            }
        }

        var (low, high) = BoundsOf(last);
        return (low + high) / 2.0;
    }

    private static int IndexOf(long nanoseconds)
    {
        var magnitude = BitOperations.Log2((ulong)nanoseconds);
        if (magnitude < SubBucketBits)
        {
            return (int)nanoseconds;
        }

        var sub = (int)((nanoseconds >> (magnitude - SubBucketBits)) & (SubBuckets - 1));
        return (magnitude * SubBuckets) + sub;
    }

    private static (double Low, double High) BoundsOf(int index)
    {
        var magnitude = index / SubBuckets;
        if (magnitude < SubBucketBits)
        {
            return (index, index + 1);
        }

        var sub = index % SubBuckets;
        var width = Math.Pow(2, magnitude - SubBucketBits);
        return ((SubBuckets + sub) * width, (SubBuckets + sub + 1) * width);
    }
}
