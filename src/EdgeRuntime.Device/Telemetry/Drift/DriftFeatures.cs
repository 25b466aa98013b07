using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Codecs;

namespace EdgeRuntime.Device.Telemetry;

/// <summary>
/// The feature rule, shared by the device and <c>edge-runtime baseline</c> so both name and read features
/// alike: a tensor of shape [N] is one feature named after the tensor; [N, F] is F features
/// <c>tensor[j]</c>; [N, C, ...] is C features <c>tensor[c]</c>, each over all the remaining dimensions
/// (an image channel). One row is one index along the first dimension. Only numeric tensors count.
/// </summary>
internal static class DriftFeatures
{
    /// <summary>Whether the feature rule reads tensors of <paramref name="type"/> (everything but BYTES).</summary>
    public static bool IsNumeric(TensorDataType type) => type != TensorDataType.Bytes;

    /// <summary>The name of feature <paramref name="feature"/> of a tensor of rank <paramref name="rank"/>.</summary>
    public static string Name(string tensor, int rank, int feature) =>
        rank <= 1 ? tensor : string.Create(CultureInfo.InvariantCulture, $"{tensor}[{feature}]");

    /// <summary>Splits <c>tensor[3]</c> into its tensor and index; a plain name has no index (a rank-1 tensor).</summary>
    public static bool TryParse(string feature, out string tensor, out int? index)
    {
        index = null;
        tensor = feature;
        if (feature.Length > 0 && feature[^1] == ']')
        {
            var open = feature.LastIndexOf('[');
            if (open <= 0 || !int.TryParse(feature.AsSpan(open + 1, feature.Length - open - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                return false;
            }

            tensor = feature[..open];
            index = parsed;
        }

        return feature.Length > 0;
    }

    /// <summary>
    /// Calls <paramref name="sink"/> with every <paramref name="stride"/>-th finite value of feature
    /// <paramref name="feature"/> (in row-major order of the values that feature covers); false when the
    /// tensor's bytes do not match its shape.
    /// </summary>
    public static bool Visit<TSink>(InferenceTensor tensor, FeatureLayout layout, int feature, long stride, ref TSink sink)
        where TSink : struct, IFeatureSink
    {
        var data = tensor.Data.Span;
        var size = tensor.DataType.ElementSize();
        if (size == 0 || feature < 0 || feature >= layout.Features || data.Length != layout.ElementCount * size)
        {
            return false;
        }

        switch (tensor.DataType)
        {
            case TensorDataType.Fp32: Visit<NumberReader<float>, TSink>(data, layout, feature, stride, ref sink); break;
            case TensorDataType.Fp64: Visit<NumberReader<double>, TSink>(data, layout, feature, stride, ref sink); break;
            case TensorDataType.Fp16: Visit<NumberReader<Half>, TSink>(data, layout, feature, stride, ref sink); break;
            case TensorDataType.Bf16: Visit<BFloat16Reader, TSink>(data, layout, feature, stride, ref sink); break;
            case TensorDataType.Bool or TensorDataType.UInt8: Visit<NumberReader<byte>, TSink>(data, layout, feature, stride, ref sink); break;
            case TensorDataType.Int8: Visit<NumberReader<sbyte>, TSink>(data, layout, feature, stride, ref sink); break;
            case TensorDataType.UInt16: Visit<NumberReader<ushort>, TSink>(data, layout, feature, stride, ref sink); break;
            case TensorDataType.Int16: Visit<NumberReader<short>, TSink>(data, layout, feature, stride, ref sink); break;
            case TensorDataType.UInt32: Visit<NumberReader<uint>, TSink>(data, layout, feature, stride, ref sink); break;
            case TensorDataType.Int32: Visit<NumberReader<int>, TSink>(data, layout, feature, stride, ref sink); break;
            case TensorDataType.UInt64: Visit<NumberReader<ulong>, TSink>(data, layout, feature, stride, ref sink); break;
            case TensorDataType.Int64: Visit<NumberReader<long>, TSink>(data, layout, feature, stride, ref sink); break;
            default: return false;
        }

        return true;
    }

    private static void Visit<TReader, TSink>(ReadOnlySpan<byte> data, FeatureLayout layout, int feature, long stride, ref TSink sink)
        where TReader : struct, IElementReader
        where TSink : struct, IFeatureSink
    {
        var count = layout.ValuesPerFeature;
        for (long k = 0; k < count; k += stride)
        {
            var row = k / layout.Inner;
            var index = (((row * layout.Features) + feature) * layout.Inner) + (k - (row * layout.Inner));
            var value = TReader.Read(data, index);
            if (double.IsFinite(value))
            {
                sink.Add(value);
            }
        }
    }

    private interface IElementReader
    {
        static abstract double Read(ReadOnlySpan<byte> data, long index);
    }

    private readonly struct NumberReader<T> : IElementReader
        where T : unmanaged, INumberBase<T>
    {
        // Request bodies need not be aligned for T, so read unaligned.
        public static double Read(ReadOnlySpan<byte> data, long index) =>
            double.CreateTruncating(MemoryMarshal.Read<T>(data[(int)(index * Unsafe.SizeOf<T>())..]));
    }

    private readonly struct BFloat16Reader : IElementReader
    {
        public static double Read(ReadOnlySpan<byte> data, long index) =>
            BFloat16Bits.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(data[(int)(index * 2)..]));
    }
}
