using EdgeRuntime.Device.Telemetry;

namespace EdgeRuntime.Device.Tests.Telemetry;

/// <summary>Windowed quantiles from two snapshots of the latency histogram.</summary>
public sealed class LatencyHistogramTests
{
    [Test]
    public void QuantileBetween_UniformMilliseconds_IsWithinABucketOfTheTrueValue()
    {
        var histogram = new LatencyHistogram();
        var before = histogram.Snapshot();
        for (var ms = 1; ms <= 100; ms++)
        {
            histogram.Record(ms * 1_000_000L);
        }

        var after = histogram.Snapshot();
        Assert.Multiple(() =>
        {
            Assert.That(LatencyHistogram.CountBetween(before, after), Is.EqualTo(100));
            Assert.That(LatencyHistogram.QuantileBetween(before, after, 0.95)!.Value / 1e6, Is.EqualTo(95).Within(12.5).Percent);
            Assert.That(LatencyHistogram.QuantileBetween(before, after, 0.5)!.Value / 1e6, Is.EqualTo(50).Within(12.5).Percent);
        });
    }

    [Test]
    public void QuantileBetween_OnlyCountsTheWindow()
    {
        var histogram = new LatencyHistogram();
        for (var i = 0; i < 1000; i++)
        {
            histogram.Record(1_000);
        }

        var before = histogram.Snapshot();
        for (var i = 0; i < 10; i++)
        {
            histogram.Record(5_000_000);
        }

        var p50 = LatencyHistogram.QuantileBetween(before, histogram.Snapshot(), 0.5);
        Assert.That(p50!.Value, Is.EqualTo(5_000_000).Within(12.5).Percent);
    }

    [Test]
    public void QuantileBetween_EmptyWindow_IsNull()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(10);
        var snapshot = histogram.Snapshot();
        Assert.That(LatencyHistogram.QuantileBetween(snapshot, histogram.Snapshot(), 0.95), Is.Null);
    }

    /// <summary>The quantile over everything recorded, read without a snapshot, is the one the snapshots give.</summary>
    [Test]
    public void Quantile_EverythingSoFar_MatchesTheSnapshotQuantile()
    {
        var histogram = new LatencyHistogram();
        Assert.That(histogram.Quantile(0.95), Is.Null);
        var empty = histogram.Snapshot();
        for (var ms = 1; ms <= 100; ms++)
        {
            histogram.Record(ms * 1_000_000L);
        }

        foreach (var quantile in new[] { 0.01, 0.5, 0.95, 1.0 })
        {
            Assert.That(histogram.Quantile(quantile), Is.EqualTo(LatencyHistogram.QuantileBetween(empty, histogram.Snapshot(), quantile)), $"q{quantile}");
        }
    }
}
