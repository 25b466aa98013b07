namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// The population stability index between a baseline histogram and a window's: Σ (a − e) · ln(a / e) over
/// the bins, with e and a the baseline's and the window's shares. Customary reading: below 0.1 no real
/// change, 0.1–0.2 a moderate shift, above 0.2 a significant one.
/// </summary>
internal static class PopulationStabilityIndex
{
    /// <summary>
    /// Stands in for a share of 0, where the logarithm is undefined. 1e-4 (a hundredth of a percent) is the
    /// customary choice: an empty window bin whose baseline share is 10% then adds 0.1 · ln(1000) ≈ 0.69,
    /// an alert on its own, which is what a vanished tenth of the data deserves.
    /// </summary>
    public const double Epsilon = 1e-4;

    /// <summary>PSI between baseline shares <paramref name="expected"/> and window <paramref name="counts"/> in the same bins; 0 for an empty window.</summary>
    public static double Compute(ReadOnlySpan<double> expected, ReadOnlySpan<long> counts)
    {
        var total = FeatureBins.WindowTotal(expected, counts);
        if (total == 0)
        {
            return 0;
        }

        var psi = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            psi += Term(expected[i], (double)counts[i] / total);
        }

        return psi;
    }

    /// <summary>PSI between two sets of shares over the same bins.</summary>
    public static double Compute(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual)
    {
        if (expected.Length != actual.Length)
        {
            throw new ArgumentException($"{expected.Length} baseline bins but {actual.Length} window bins", nameof(actual));
        }

        var psi = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            psi += Term(expected[i], actual[i]);
        }

        return psi;
    }

    private static double Term(double expected, double actual)
    {
        var e = Math.Max(expected, Epsilon);
        var a = Math.Max(actual, Epsilon);
        return (a - e) * Math.Log(a / e);
    }
}
