namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// The two-sample Kolmogorov–Smirnov statistic: the largest distance between two cumulative distribution
/// functions. The device has only bin counts, so it compares the CDFs at the bin edges
/// (<see cref="Binned(ReadOnlySpan{double}, ReadOnlySpan{long})"/>); the true statistic is the supremum over every
/// point, so the binned one is a lower bound of it (equal to it when the largest gap falls on an edge; with
/// 10 equal-frequency bins a normal shift of 0.5σ reads 0.197 against a true 0.197).
/// </summary>
internal static class KolmogorovSmirnov
{
    /// <summary>Max over the interior bin edges of |baseline CDF − window CDF|; 0 for an empty window.</summary>
    public static double Binned(ReadOnlySpan<double> expected, ReadOnlySpan<long> counts)
    {
        var total = FeatureBins.WindowTotal(expected, counts);
        if (total == 0)
        {
            return 0;
        }

        double expectedCdf = 0, largest = 0;
        long seen = 0;
        for (var i = 0; i < expected.Length - 1; i++)
        {
            expectedCdf += expected[i];
            seen += counts[i];
            largest = Math.Max(largest, Math.Abs(expectedCdf - ((double)seen / total)));
        }

        return largest;
    }

    /// <summary>The exact statistic between two samples (sorted copies are made); used to check the binned bound.</summary>
    public static double TwoSample(ReadOnlySpan<double> first, ReadOnlySpan<double> second)
    {
        if (first.IsEmpty || second.IsEmpty)
        {
            return 0;
        }

        double[] a = [.. first], b = [.. second];
        Array.Sort(a);
        Array.Sort(b);
        int i = 0, j = 0;
        var largest = 0.0;
        while (i < a.Length && j < b.Length)
        {
            var x = Math.Min(a[i], b[j]);
            while (i < a.Length && a[i] <= x)
            {
                i++;
            }

            while (j < b.Length && b[j] <= x)
            {
                j++;
            }

            largest = Math.Max(largest, Math.Abs(((double)i / a.Length) - ((double)j / b.Length)));
        }

        return largest;
    }
}
