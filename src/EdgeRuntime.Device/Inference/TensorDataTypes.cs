using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeRuntime.Device.Inference;

/// <summary>Wire names, element sizes and ONNX Runtime equivalents of <see cref="TensorDataType"/>.</summary>
public static class TensorDataTypes
{
    private static readonly string[] WireNames =
        ["BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64", "BF16", "BYTES"];

    /// <summary>The protocol's name for the type, e.g. <c>FP32</c>.</summary>
    public static string ToWireName(this TensorDataType type) => WireNames[(int)type];

    /// <summary>Parses a protocol datatype name (case-sensitive, as the spec writes them).</summary>
    public static bool TryParse(ReadOnlySpan<char> name, out TensorDataType type)
    {
        for (var i = 0; i < WireNames.Length; i++)
        {
            if (name.SequenceEqual(WireNames[i]))
            {
                type = (TensorDataType)i;
                return true;
            }
        }

        type = default;
        return false;
    }

    /// <summary>Parses a protocol datatype name given as UTF-8.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8Name, out TensorDataType type)
    {
        Span<char> chars = stackalloc char[8];
        if (utf8Name.Length > chars.Length)
        {
            type = default;
            return false;
        }

        for (var i = 0; i < utf8Name.Length; i++)
        {
            chars[i] = (char)utf8Name[i];
        }

        return TryParse(chars[..utf8Name.Length], out type);
    }

    /// <summary>Bytes per element; 0 for <see cref="TensorDataType.Bytes"/>, whose elements vary in size.</summary>
    public static int ElementSize(this TensorDataType type) => type switch
    {
        TensorDataType.Bool or TensorDataType.UInt8 or TensorDataType.Int8 => 1,
        TensorDataType.UInt16 or TensorDataType.Int16 or TensorDataType.Fp16 or TensorDataType.Bf16 => 2,
        TensorDataType.UInt32 or TensorDataType.Int32 or TensorDataType.Fp32 => 4,
        TensorDataType.UInt64 or TensorDataType.Int64 or TensorDataType.Fp64 => 8,
        _ => 0,
    };

    /// <summary>The ONNX Runtime element type for a protocol type.</summary>
    public static TensorElementType ToOrt(this TensorDataType type) => type switch
    {
        TensorDataType.Bool => TensorElementType.Bool,
        TensorDataType.UInt8 => TensorElementType.UInt8,
        TensorDataType.UInt16 => TensorElementType.UInt16,
        TensorDataType.UInt32 => TensorElementType.UInt32,
        TensorDataType.UInt64 => TensorElementType.UInt64,
        TensorDataType.Int8 => TensorElementType.Int8,
        TensorDataType.Int16 => TensorElementType.Int16,
        TensorDataType.Int32 => TensorElementType.Int32,
        TensorDataType.Int64 => TensorElementType.Int64,
        TensorDataType.Fp16 => TensorElementType.Float16,
        TensorDataType.Fp32 => TensorElementType.Float,
        TensorDataType.Fp64 => TensorElementType.Double,
        TensorDataType.Bf16 => TensorElementType.BFloat16,
        TensorDataType.Bytes => TensorElementType.String,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>The protocol type for an ONNX Runtime element type, or false when the protocol has none.</summary>
    public static bool TryFromOrt(TensorElementType elementType, out TensorDataType type)
    {
        (var ok, type) = elementType switch
        {
            TensorElementType.Bool => (true, TensorDataType.Bool),
            TensorElementType.UInt8 => (true, TensorDataType.UInt8),
            TensorElementType.UInt16 => (true, TensorDataType.UInt16),
            TensorElementType.UInt32 => (true, TensorDataType.UInt32),
            TensorElementType.UInt64 => (true, TensorDataType.UInt64),
            TensorElementType.Int8 => (true, TensorDataType.Int8),
            TensorElementType.Int16 => (true, TensorDataType.Int16),
            TensorElementType.Int32 => (true, TensorDataType.Int32),
            TensorElementType.Int64 => (true, TensorDataType.Int64),
            TensorElementType.Float16 => (true, TensorDataType.Fp16),
            TensorElementType.Float => (true, TensorDataType.Fp32),
            TensorElementType.Double => (true, TensorDataType.Fp64),
            TensorElementType.BFloat16 => (true, TensorDataType.Bf16),
            TensorElementType.String => (true, TensorDataType.Bytes),
            _ => (false, default(TensorDataType)),
        };
        return ok;
    }
}
