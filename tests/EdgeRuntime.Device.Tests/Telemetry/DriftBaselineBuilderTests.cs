using System.Runtime.InteropServices;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Telemetry;

namespace EdgeRuntime.Device.Tests.Telemetry;

/// <summary>Equal-frequency baselines: bins, ties, statistics and the feature rule.</summary>
public sealed class DriftBaselineBuilderTests
{
    [Test]
    public void BuildFeature_DistinctValues_MakesEqualFrequencyBinsBetweenMinAndMax()
    {
        double[] values = [.. Enumerable.Range(0, 100).Select(i => (double)i)];

        var feature = DriftBaselineBuilder.BuildFeature("x", values, bins: 4);

        Assert.That(feature.Edges, Is.EqualTo(new double[] { 0, 25, 50, 75, 99 }));
        Assert.That(feature.Proportions, Is.EqualTo(new[] { 0.25, 0.25, 0.25, 0.25 }));
        Assert.That(feature.Mean, Is.EqualTo(49.5).Within(1e-12));
        Assert.That(feature.StdDev, Is.EqualTo(Math.Sqrt(841.6666666666666)).Within(1e-9));
        Assert.That(feature.Quantiles, Has.Count.EqualTo(DriftBaselineBuilder.QuantileSteps + 1));
        Assert.That(feature.Quantiles![0], Is.EqualTo(0));
        Assert.That(feature.Quantiles[10], Is.EqualTo(49.5));
        Assert.That(feature.Quantiles[^1], Is.EqualTo(99));
    }

    [Test]
    public void BuildFeature_BinaryValues_MergesTiedBinsIntoOnePerValue()
    {
        double[] values = [.. Enumerable.Repeat(0.0, 70), .. Enumerable.Repeat(1.0, 30)];

        var feature = DriftBaselineBuilder.BuildFeature("flag", values);

        Assert.That(feature.Edges, Is.EqualTo(new double[] { 0, 1, 1 }));
        Assert.That(feature.Proportions, Is.EqualTo(new[] { 0.7, 0.3 }));
    }

    [Test]
    public void BuildFeature_ConstantValues_IsOneBin()
    {
        var feature = DriftBaselineBuilder.BuildFeature("c", [2, 2, 2]);

        Assert.That(feature.Edges, Is.EqualTo(new double[] { 2, 2 }));
        Assert.That(feature.Proportions, Is.EqualTo(new[] { 1.0 }));
    }

    [Test]
    public void AddInputs_MatrixTensor_NamesOneFeaturePerColumnAndCountsRows()
    {
        var builder = new DriftBaselineBuilder(bins: 2);
        using var tensor = Tensor("input", [1, 10, 2, 20, 3, 30], [3, 2]);

        builder.AddInputs([tensor]);
        var baseline = builder.Build("test");

        Assert.That(baseline.Rows, Is.EqualTo(3));
        Assert.That(baseline.Source, Is.EqualTo("test"));
        Assert.That(baseline.Inputs.Select(f => f.Feature), Is.EqualTo(new[] { "input[0]", "input[1]" }));
        Assert.That(baseline.Inputs[0].Edges, Is.EqualTo(new double[] { 1, 2, 3 }));
        Assert.That(baseline.Inputs[1].Edges, Is.EqualTo(new double[] { 10, 20, 30 }));
        Assert.That(baseline.Outputs, Is.Null);
    }

    [Test]
    public void AddInputs_ImageTensor_AggregatesEachChannelOverTheRemainingDimensions()
    {
        // [N=2, C=2, 2]: channel 0 holds 0..3 and 10..13 is channel 1, interleaved by row.
        var builder = new DriftBaselineBuilder(bins: 2);
        using var tensor = Tensor("image", [0, 1, 10, 11, 2, 3, 12, 13], [2, 2, 2]);

        builder.AddInputs([tensor]);
        var baseline = builder.Build(null);

        Assert.That(baseline.Rows, Is.EqualTo(2));
        Assert.That(baseline.Inputs.Select(f => f.Feature), Is.EqualTo(new[] { "image[0]", "image[1]" }));
        Assert.That(baseline.Inputs[0].Mean, Is.EqualTo(1.5));
        Assert.That(baseline.Inputs[1].Mean, Is.EqualTo(11.5));
    }

    [Test]
    public void AddInputs_VectorTensorAndBytes_NamesTheTensorAndIgnoresBytes()
    {
        var builder = new DriftBaselineBuilder(bins: 2);
        using var vector = Tensor("score", [1, 2, 3, 4], [4]);
        using var text = new InferenceTensor("text", TensorDataType.Bytes, [1], new byte[] { 1, 0, 0, 0, 65 });

        builder.AddInputs([text, vector]);
        var baseline = builder.Build(null);

        Assert.That(baseline.Inputs.Select(f => f.Feature), Is.EqualTo(new[] { "score" }));
        Assert.That(baseline.Rows, Is.EqualTo(4));
    }

    [Test]
    public void Build_NothingAdded_ThrowsInvalidData()
    {
        Assert.That(() => new DriftBaselineBuilder().Build(null), Throws.InstanceOf<InvalidDataException>());
    }

    private static InferenceTensor Tensor(string name, float[] values, long[] shape) =>
        new(name, TensorDataType.Fp32, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
}
