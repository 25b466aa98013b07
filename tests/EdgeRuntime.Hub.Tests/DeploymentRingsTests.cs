using EdgeRuntime.Hub.Deployments;

namespace EdgeRuntime.Hub.Tests;

/// <summary>Ring membership: sizes from percents, the hashed order, and which ring lists are refused.</summary>
[TestFixture]
public sealed class DeploymentRingsTests
{
    /// <summary>Each ring reaches ceil(percent × devices / 100) devices in all, at least one.</summary>
    [TestCase(new[] { 5.0, 25, 50, 100 }, 20, new[] { 1, 5, 10, 20 })]
    [TestCase(new[] { 1.0, 10, 50, 100 }, 3, new[] { 1, 1, 2, 3 })]
    [TestCase(new[] { 1.0, 10, 50, 100 }, 1000, new[] { 10, 100, 500, 1000 })]
    [TestCase(new[] { 10.0, 100 }, 30, new[] { 3, 30 })]
    [TestCase(new[] { 0.1, 100 }, 7, new[] { 1, 7 })]
    [TestCase(new[] { 100.0 }, 1, new[] { 1 })]
    public void CumulativeSizes_Percents_CeilingOfShareAtLeastOne(double[] percents, int devices, int[] expected) =>
        Assert.That(DeploymentRings.CumulativeSizes(percents, devices), Is.EqualTo(expected));

    /// <summary>Positions map to rings by the cumulative sizes; a ring may add no device.</summary>
    [Test]
    public void RingOfPositions_SmallFleet_FillsRingsInOrder() =>
        Assert.That(DeploymentRings.RingOfPositions([1, 10, 50, 100], 4), Is.EqualTo(new[] { 0, 2, 3, 3 }));

    /// <summary>The order is a permutation, the same for the same deployment, different for another.</summary>
    [Test]
    public void Order_SameAndOtherDeployment_StableForOneDifferentAcross()
    {
        var devices = Enumerable.Range(0, 50).Select(i => $"dev-{i}").ToList();
        var first = DeploymentRings.Order("d1", devices);
        var again = DeploymentRings.Order("d1", Enumerable.Reverse(devices));
        var other = DeploymentRings.Order("d2", devices);
        Assert.Multiple(() =>
        {
            Assert.That(first, Is.EquivalentTo(devices));
            Assert.That(again, Is.EqualTo(first));
            Assert.That(other, Is.Not.EqualTo(first));
            Assert.That(first, Is.Not.EqualTo(devices), "not registration order");
        });
    }

    /// <summary>Ring lists must be strictly increasing percents in (0, 100] ending at 100.</summary>
    [TestCase(new double[0], "rings must list")]
    [TestCase(new[] { 50.0, 50, 100 }, "strictly increasing")]
    [TestCase(new[] { -1.0, 100 }, "must be above 0")]
    [TestCase(new[] { 50.0, 101 }, "at most 100")]
    [TestCase(new[] { 50.0, 90 }, "the last ring must be 100")]
    public void Invalid_BadRings_SaysWhy(double[] percents, string error) =>
        Assert.That(DeploymentRings.Invalid(percents), Does.Contain(error));

    /// <summary>Good ring lists pass.</summary>
    [TestCase(new[] { 100.0 })]
    [TestCase(new[] { 0.5, 1, 10, 50, 100 })]
    public void Invalid_GoodRings_IsNull(double[] percents) => Assert.That(DeploymentRings.Invalid(percents), Is.Null);
}
