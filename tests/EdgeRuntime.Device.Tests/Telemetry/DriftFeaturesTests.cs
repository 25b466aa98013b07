using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Telemetry;

namespace EdgeRuntime.Device.Tests.Telemetry;

/// <summary>The feature rule: names, parsing, and reading every numeric element type with a stride.</summary>
public sealed class DriftFeaturesTests
{
    [TestCase("input", 1, 0, ExpectedResult = "input")]
    [TestCase("input", 2, 3, ExpectedResult = "input[3]")]
    [TestCase("image", 4, 2, ExpectedResult = "image[2]")]
    public string Name_ByRank_FollowsTheFeatureRule(string tensor, int rank, int feature) => DriftFeatures.Name(tensor, rank, feature);

    [Test]
    public void TryParse_IndexedAndPlainNames_SplitTensorAndIndex()
    {
        Assert.That(DriftFeatures.TryParse("input[12]", out var tensor, out var index), Is.True);
        Assert.That((tensor, index), Is.EqualTo(("input", (int?)12)));
        Assert.That(DriftFeatures.TryParse("score", out tensor, out index), Is.True);
        Assert.That((tensor, index), Is.EqualTo(("score", (int?)null)));
        Assert.That(DriftFeatures.TryParse("bad[x]", out _, out _), Is.False);
    }

    [TestCase(TensorDataType.Fp64, new byte[] { 0, 0, 0, 0, 0, 0, 0xF8, 0x3F }, 1.5)]
    [TestCase(TensorDataType.Fp16, new byte[] { 0x00, 0x3E }, 1.5)]
    [TestCase(TensorDataType.Bf16, new byte[] { 0xC0, 0x3F }, 1.5)]
    [TestCase(TensorDataType.Int8, new byte[] { 0xFE }, -2)]
    [TestCase(TensorDataType.UInt16, new byte[] { 0x34, 0x12 }, 0x1234)]
    [TestCase(TensorDataType.Int64, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, -1)]
    [TestCase(TensorDataType.Bool, new byte[] { 1 }, 1)]
    public void Visit_EachElementType_ReadsTheLittleEndianValue(TensorDataType type, byte[] bytes, double expected)
    {
        using var tensor = new InferenceTensor("t", type, [1], bytes);
        var sink = new ListSink([]);

        var read = DriftFeatures.Visit(tensor, FeatureLayout.Of(tensor.Shape), 0, 1, ref sink);

        Assert.That(read, Is.True);
        Assert.That(sink.Values, Is.EqualTo(new[] { expected }));
    }

    [Test]
    public void Visit_StrideOverAChannel_TakesEveryNthValueOfThatChannelOnly()
    {
        // [1, 2, 6] Int32: channel 1 is 10..15.
        int[] values = [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15];
        using var tensor = new InferenceTensor("t", TensorDataType.Int32, [1, 2, 6], System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        var sink = new ListSink([]);

        DriftFeatures.Visit(tensor, FeatureLayout.Of(tensor.Shape), 1, 2, ref sink);

        Assert.That(sink.Values, Is.EqualTo(new double[] { 10, 12, 14 }));
    }

    [Test]
    public void Visit_NotANumber_IsSkipped()
    {
        using var tensor = new InferenceTensor("t", TensorDataType.Fp32, [2], BitConverter.GetBytes(float.NaN).Concat(BitConverter.GetBytes(1f)).ToArray());
        var sink = new ListSink([]);

        DriftFeatures.Visit(tensor, FeatureLayout.Of(tensor.Shape), 0, 1, ref sink);

        Assert.That(sink.Values, Is.EqualTo(new double[] { 1 }));
    }

    private readonly struct ListSink(List<double> values) : IFeatureSink
    {
        public List<double> Values => values;

        public void Add(double value) => values.Add(value);
    }
}
