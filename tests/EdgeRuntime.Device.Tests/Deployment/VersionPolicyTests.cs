using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Device.Deployment;

namespace EdgeRuntime.Device.Tests.Deployment;

public sealed class VersionPolicyTests
{
    private static readonly long[] OnDisk = [1, 2, 3, 10];

    [TestCase("latest:1", new long[] { 10 })]
    [TestCase("latest:2", new long[] { 10, 3 })]
    [TestCase("latest", new long[] { 10 })]
    [TestCase("all", new long[] { 10, 3, 2, 1 })]
    [TestCase("specific:1,3,7", new long[] { 3, 1 })]
    public void Select_ParsedPolicy_ServesExpectedVersionsNewestFirst(string text, long[] expected)
    {
        Assert.That(VersionPolicy.TryParse(text, out var policy), Is.True);
        Assert.That(policy.Select(OnDisk), Is.EqualTo(expected));
    }

    [TestCase("latest:0")]
    [TestCase("latest:x")]
    [TestCase("specific:")]
    [TestCase("specific:a")]
    [TestCase("newest")]
    [TestCase("all:2")]
    public void TryParse_Malformed_ReturnsFalse(string text)
    {
        Assert.That(VersionPolicy.TryParse(text, out _), Is.False);
    }

    [Test]
    public void From_ModelConfig_OverridesFallback()
    {
        var config = new VersionPolicyConfig { Specific = new SpecificVersionPolicy([2]) };
        var policy = VersionPolicy.From(config, VersionPolicy.LatestOne);
        Assert.That(policy.Select(OnDisk), Is.EqualTo(new long[] { 2 }));
        Assert.That(VersionPolicy.From(null, VersionPolicy.LatestOne), Is.SameAs(VersionPolicy.LatestOne));
    }
}
