using EdgeRuntime.Device.Telemetry;

namespace EdgeRuntime.Device.Tests.Telemetry;

/// <summary>The KS statistic, binned and exact, against known values.</summary>
public sealed class KolmogorovSmirnovTests
{
    [Test]
    public void Binned_IdenticalDistribution_IsZero()
    {
        Assert.That(KolmogorovSmirnov.Binned([0.25, 0.25, 0.5], (ReadOnlySpan<long>)[25, 25, 50]), Is.EqualTo(0).Within(1e-12));
    }

    [Test]
    public void Binned_KnownCounts_IsTheLargestCdfGap()
    {
        // CDFs at the two interior edges: baseline 0.25, 0.5; window 0.1, 0.2 → gaps 0.15, 0.3.
        Assert.That(KolmogorovSmirnov.Binned([0.25, 0.25, 0.5], (ReadOnlySpan<long>)[10, 10, 80]), Is.EqualTo(0.3).Within(1e-12));
    }

    [Test]
    public void Binned_NormalShiftedByHalfSigmaOverDeciles_IsTheTextbookValue()
    {
        // Continuous KS between N(0,1) and N(0.5,1) is 2Φ(0.25) − 1 = 0.1974; the 6th decile (0.253) sits next to where it peaks.
        var counts = Samples.DecileShares(0.5, 1).Select(s => (long)Math.Round(s * 1e9)).ToArray();

        Assert.That(KolmogorovSmirnov.Binned(Samples.DecileShares(0, 1), counts), Is.EqualTo(0.1974).Within(5e-4));
    }

    [Test]
    public void TwoSample_DisjointSamples_IsOne()
    {
        Assert.That(KolmogorovSmirnov.TwoSample([1, 2, 3], [4, 5]), Is.EqualTo(1));
    }

    [Test]
    public void TwoSample_KnownSamples_IsTheHandComputedValue()
    {
        // After 1 and 2: first sample's CDF 0.5, second's 0 → 0.5 is the largest gap.
        Assert.That(KolmogorovSmirnov.TwoSample([1, 2, 3, 4], [3, 4, 5, 6]), Is.EqualTo(0.5));
    }

    [Test]
    public void Binned_ShiftedSample_IsALowerBoundOfTheExactStatistic()
    {
        var random = new Random(11);
        var baselineValues = Samples.Normals(random, 20_000);
        var window = Samples.Normals(random, 2_000, mean: 0.3);
        var baseline = DriftBaselineBuilder.BuildFeature("x", baselineValues);
        var counts = new long[baseline.Proportions.Count];
        foreach (var value in window)
        {
            counts[FeatureBins.BinOf([.. baseline.Edges], value)]++;
        }

        var binned = KolmogorovSmirnov.Binned([.. baseline.Proportions], counts);
        var exact = KolmogorovSmirnov.TwoSample(baselineValues, window);

        Assert.That(binned, Is.LessThanOrEqualTo(exact + 1e-12));
        Assert.That(binned, Is.GreaterThan(exact - 0.03), "ten equal-frequency bins lose little of a location shift");
    }
}
