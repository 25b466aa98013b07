using System.Buffers.Binary;
using EdgeRuntime.Device.Inference;

namespace EdgeRuntime.Device.Deployment.Rollout;

/// <summary>
/// Compares the candidate's answer to a mirrored request with the stable version's, output by output, element by
/// element. An output the candidate left out, or gave with another datatype or shape, is a disagreement.
/// </summary>
internal static class OutputComparer
{
    /// <summary>Compares every output of <paramref name="stable"/> with the candidate's output of the same name.</summary>
    public static OutputComparison Compare(IReadOnlyList<InferenceTensor> stable, IReadOnlyList<InferenceTensor> candidate, double tolerance)
    {
        var comparison = new OutputComparison { Agrees = true };
        foreach (var expected in stable)
        {
            var actual = Find(candidate, expected.Name);
            if (actual is null || actual.DataType != expected.DataType || !expected.Shape.AsSpan().SequenceEqual(actual.Shape))
            {
                comparison.Agrees = false;
                continue;
            }

            if (expected.DataType == TensorDataType.Bytes)
            {
                // Strings have no distance: equal or not.
                comparison.Agrees &= expected.Data.Span.SequenceEqual(actual.Data.Span);
                continue;
            }

            CompareNumbers(expected, actual, tolerance, ref comparison);
            if (IsClassifierShaped(expected))
            {
                CompareTopOne(expected, actual, ref comparison);
            }
        }

        return comparison;
    }

    /// <summary>Rank 2, [rows, classes] with at least two classes, floating point: one score per class and row.</summary>
    internal static bool IsClassifierShaped(InferenceTensor tensor) =>
        tensor.Shape is [_, >= 2] && tensor.DataType is TensorDataType.Fp32 or TensorDataType.Fp64 or TensorDataType.Fp16 or TensorDataType.Bf16;

    private static InferenceTensor? Find(IReadOnlyList<InferenceTensor> tensors, string name)
    {
        foreach (var tensor in tensors)
        {
            if (tensor.Name == name)
            {
                return tensor;
            }
        }

        return null;
    }

    private static void CompareNumbers(InferenceTensor expected, InferenceTensor actual, double tolerance, ref OutputComparison comparison)
    {
        var a = expected.Data.Span;
        var b = actual.Data.Span;
        var count = expected.ElementCount;
        for (long i = 0; i < count; i++)
        {
            var x = ElementAt(a, expected.DataType, i);
            var y = ElementAt(b, expected.DataType, i);
            if (x.Equals(y))
            {
                // Equal, including two NaNs or two equal infinities, whose difference would be NaN.
                comparison.Elements++;
                continue;
            }

            var difference = Math.Abs(x - y);
            if (!double.IsFinite(difference))
            {
                // A NaN or an infinity on one side only: no tolerance covers it, and it would poison the averages.
                comparison.Agrees = false;
                continue;
            }

            comparison.Elements++;
            comparison.SumAbsDiff += difference;
            comparison.MaxAbsDiff = Math.Max(comparison.MaxAbsDiff, difference);
            if (difference > tolerance)
            {
                comparison.Agrees = false;
            }
        }
    }

    private static void CompareTopOne(InferenceTensor expected, InferenceTensor actual, ref OutputComparison comparison)
    {
        var rows = expected.Shape[0];
        var classes = expected.Shape[1];
        for (long row = 0; row < rows; row++)
        {
            comparison.Top1Rows++;
            if (ArgMax(expected, row, classes) == ArgMax(actual, row, classes))
            {
                comparison.Top1Agreeing++;
            }
        }
    }

    private static long ArgMax(InferenceTensor tensor, long row, long classes)
    {
        var data = tensor.Data.Span;
        var best = 0L;
        var bestValue = double.NegativeInfinity;
        for (long c = 0; c < classes; c++)
        {
            var value = ElementAt(data, tensor.DataType, (row * classes) + c);
            if (value > bestValue)
            {
                best = c;
                bestValue = value;
            }
        }

        return best;
    }

    private static double ElementAt(ReadOnlySpan<byte> data, TensorDataType type, long index)
    {
        var offset = checked((int)(index * type.ElementSize()));
        var element = data[offset..];
        return type switch
        {
            TensorDataType.Fp32 => BinaryPrimitives.ReadSingleLittleEndian(element),
            TensorDataType.Fp64 => BinaryPrimitives.ReadDoubleLittleEndian(element),
            TensorDataType.Fp16 => (double)BinaryPrimitives.ReadHalfLittleEndian(element),
            TensorDataType.Bf16 => BitConverter.UInt32BitsToSingle((uint)BinaryPrimitives.ReadUInt16LittleEndian(element) << 16),
            TensorDataType.Bool or TensorDataType.UInt8 => element[0],
            TensorDataType.Int8 => (sbyte)element[0],
            TensorDataType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(element),
            TensorDataType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(element),
            TensorDataType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(element),
            TensorDataType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(element),
            TensorDataType.UInt64 => BinaryPrimitives.ReadUInt64LittleEndian(element),
            TensorDataType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(element),
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a numeric datatype"),
        };
    }
}
