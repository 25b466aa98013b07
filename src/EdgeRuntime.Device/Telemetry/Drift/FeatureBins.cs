namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// The binning rule of a <see cref="EdgeRuntime.Contracts.Models.FeatureBaseline"/>: bin i is
/// [edges[i], edges[i+1]); values below the first interior edge go to the first bin and values from the
/// last interior edge up to the last, so out-of-range values pile up at the ends, where PSI sees them.
/// </summary>
internal static class FeatureBins
{
    /// <summary>The bin of <paramref name="value"/>: how many interior edges are at or below it.</summary>
    public static int BinOf(ReadOnlySpan<double> edges, double value)
    {
        // Upper bound over the interior edges edges[1..^1], by binary search: O(log bins).
        int low = 1, high = edges.Length - 1;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (edges[middle] <= value)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low - 1;
    }

    /// <summary>How many values a window counted, after checking it has as many bins as the baseline.</summary>
    public static long WindowTotal(ReadOnlySpan<double> expected, ReadOnlySpan<long> counts)
    {
        if (expected.Length != counts.Length)
        {
            throw new ArgumentException($"{expected.Length} baseline bins but {counts.Length} window bins", nameof(counts));
        }

        long total = 0;
        foreach (var count in counts)
        {
            total += count;
        }

        return total;
    }
}
