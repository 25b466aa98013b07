using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// How a tensor's elements split into rows and features under the feature rule (see <see cref="DriftFeatures"/>):
/// <see cref="Rows"/> along the first dimension, <see cref="Features"/> along the second (1 for rank ≤ 1),
/// and <see cref="Inner"/> values per row and feature from the remaining dimensions.
/// </summary>
internal readonly record struct FeatureLayout(long Rows, int Features, long Inner, int Rank)
{
    /// <summary>The layout of a tensor of <paramref name="shape"/>; a scalar is one row of one feature.</summary>
    public static FeatureLayout Of(ReadOnlySpan<long> shape)
    {
        if (shape.Length <= 1)
        {
            return new FeatureLayout(shape.Length == 0 ? 1 : shape[0], 1, 1, shape.Length);
        }

        return new FeatureLayout(shape[0], checked((int)shape[1]), InferenceTensor.ElementCountOf(shape[2..]), shape.Length);
    }

    /// <summary>Values one feature covers in the whole tensor.</summary>
    public long ValuesPerFeature => Rows * Inner;

    /// <summary>Elements in the whole tensor.</summary>
    public long ElementCount => Rows * Features * Inner;

    /// <summary>The name of feature <paramref name="feature"/> of <paramref name="tensor"/>.</summary>
    public string Name(string tensor, int feature) => DriftFeatures.Name(tensor, Rank, feature);
}
