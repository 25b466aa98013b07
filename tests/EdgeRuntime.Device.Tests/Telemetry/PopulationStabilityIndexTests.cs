using EdgeRuntime.Device.Telemetry;

namespace EdgeRuntime.Device.Tests.Telemetry;

/// <summary>PSI against hand-computed and textbook values.</summary>
public sealed class PopulationStabilityIndexTests
{
    [Test]
    public void Compute_IdenticalShares_IsZero()
    {
        double[] shares = [0.1, 0.2, 0.3, 0.4];

        Assert.That(PopulationStabilityIndex.Compute(shares, shares), Is.Zero);
        Assert.That(PopulationStabilityIndex.Compute(shares, (ReadOnlySpan<long>)[100, 200, 300, 400]), Is.EqualTo(0).Within(1e-12));
    }

    [Test]
    public void Compute_TwoBinsSixtyForty_IsTheHandComputedValue()
    {
        // (0.6 − 0.5)·ln(0.6/0.5) + (0.4 − 0.5)·ln(0.4/0.5) = 0.0182321557 + 0.0223143551.
        var psi = PopulationStabilityIndex.Compute([0.5, 0.5], (ReadOnlySpan<long>)[60, 40]);

        Assert.That(psi, Is.EqualTo(0.0405465108).Within(1e-9));
    }

    [Test]
    public void Compute_NormalShiftedByHalfSigmaOverDeciles_IsTheTextbookValue()
    {
        // The decile bins of N(0,1) under N(0.5, 1): PSI ≈ 0.2377, past the customary 0.2 "significant" line.
        var psi = PopulationStabilityIndex.Compute(Samples.DecileShares(0, 1), Samples.DecileShares(0.5, 1));

        Assert.That(psi, Is.EqualTo(0.2377).Within(5e-4));
    }

    [Test]
    public void Compute_EmptyWindowBin_UsesEpsilonInsteadOfInfinity()
    {
        var psi = PopulationStabilityIndex.Compute([0.5, 0.5], (ReadOnlySpan<long>)[100, 0]);

        var expected = ((1 - 0.5) * Math.Log(1 / 0.5)) + ((PopulationStabilityIndex.Epsilon - 0.5) * Math.Log(PopulationStabilityIndex.Epsilon / 0.5));
        Assert.That(psi, Is.EqualTo(expected).Within(1e-12));
        Assert.That(double.IsFinite(psi), Is.True);
    }

    [Test]
    public void Compute_EmptyWindow_IsZero()
    {
        Assert.That(PopulationStabilityIndex.Compute([0.5, 0.5], (ReadOnlySpan<long>)[0, 0]), Is.Zero);
    }

    [Test]
    public void Compute_DifferentBinCounts_Throws()
    {
        Assert.That(() => PopulationStabilityIndex.Compute([0.5, 0.5], (ReadOnlySpan<long>)[1, 2, 3]), Throws.ArgumentException);
    }
}
