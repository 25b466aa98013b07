using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using EdgeRuntime.Device.Inference.Codecs;

namespace EdgeRuntime.Device.Inference;

/// <summary>
/// Conversions between numbers and a tensor's little-endian elements, for values written as text or JSON numbers (smoke
/// tests, CSV and table rows of batch jobs, data files converted to a model's datatype): floating-point types take the
/// nearest value they hold; a value another type cannot hold (a fraction for an integer type, one out of range, 2 for
/// BOOL) is refused, not rounded or wrapped.
/// </summary>
internal static class TensorValues
{
    /// <summary>The elements of <paramref name="values"/> as <paramref name="type"/>, or why one does not fit.</summary>
    public static bool TryEncode(IReadOnlyList<double> values, TensorDataType type, out byte[] bytes, out string? problem)
    {
        var size = type.ElementSize();
        bytes = [];
        if (size == 0)
        {
            problem = $"datatype {type.ToWireName()} cannot be given as numbers";
            return false;
        }

        var encoded = new byte[values.Count * size];
        for (var i = 0; i < values.Count; i++)
        {
            var v = values[i];
            var at = encoded.AsSpan(i * size);
            if (!double.IsFinite(v))
            {
                problem = $"element {i} is {Format(v)}, which is not a finite number";
                return false;
            }

            if (!TryWrite(at, type, v))
            {
                problem = $"element {i} ({Format(v)}) does not fit {type.ToWireName()}";
                return false;
            }
        }

        bytes = encoded;
        problem = null;
        return true;
    }

    /// <summary>
    /// Converts the elements of <paramref name="source"/> (of type <paramref name="from"/>) into <paramref name="destination"/>
    /// as <paramref name="to"/>; false with the problem when one does not fit (see <see cref="TryWrite"/>). NaN and the
    /// infinities stay what they are between floating-point types: they are the data's, not a conversion's, problem.
    /// </summary>
    public static bool TryConvert(ReadOnlySpan<byte> source, TensorDataType from, Span<byte> destination, TensorDataType to, out string? problem)
    {
        var size = to.ElementSize();
        var count = source.Length / from.ElementSize();
        for (var i = 0; i < count; i++)
        {
            var v = Read(source, from, i);
            if (!TryWriteData(destination[(i * size)..], to, v))
            {
                problem = double.IsFinite(v)
                    ? $"element {i} ({Format(v, from)}) does not fit {to.ToWireName()}"
                    : $"element {i} is {Format(v)}, which {to.ToWireName()} cannot hold";
                return false;
            }
        }

        problem = null;
        return true;
    }

    /// <summary>Element <paramref name="index"/> of a fixed-size tensor's <paramref name="data"/>, as a double (exact for every type but the 64-bit integers beyond 2^53).</summary>
    public static double Read(ReadOnlySpan<byte> data, TensorDataType type, long index)
    {
        var at = data[(int)(index * type.ElementSize())..];
        return type switch
        {
            TensorDataType.Bool or TensorDataType.UInt8 => at[0],
            TensorDataType.Int8 => (sbyte)at[0],
            TensorDataType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(at),
            TensorDataType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(at),
            TensorDataType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(at),
            TensorDataType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(at),
            TensorDataType.UInt64 => BinaryPrimitives.ReadUInt64LittleEndian(at),
            TensorDataType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(at),
            TensorDataType.Fp16 => (double)BinaryPrimitives.ReadHalfLittleEndian(at),
            TensorDataType.Bf16 => BFloat16Bits.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(at)),
            TensorDataType.Fp32 => BinaryPrimitives.ReadSingleLittleEndian(at),
            TensorDataType.Fp64 => BinaryPrimitives.ReadDoubleLittleEndian(at),
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a fixed-size numeric type"),
        };
    }

    /// <summary>
    /// A value as messages write it: the shortest text that reads back as the same value of <paramref name="type"/>, so an
    /// FP32 output shows as 0.71, not 0.70999997854232788.
    /// </summary>
    public static string Format(double value, TensorDataType type = TensorDataType.Fp64) => type switch
    {
        TensorDataType.Fp32 => ((float)value).ToString(CultureInfo.InvariantCulture),
        TensorDataType.Fp16 => ((Half)value).ToString(CultureInfo.InvariantCulture),
        TensorDataType.Bf16 when double.IsFinite(value) => FormatBFloat16(BFloat16Bits.FromDouble(value)),
        _ => value.ToString(CultureInfo.InvariantCulture),
    };

    private static string FormatBFloat16(ushort bits)
    {
        Span<byte> text = stackalloc byte[32];
        return Encoding.ASCII.GetString(text[..BFloat16Bits.FormatShortest(bits, text)]);
    }

    /// <summary>
    /// As <see cref="TryWrite"/>, but NaN and the infinities are written as they are to the floating-point types, for data
    /// being converted (a missing reading as NaN is the model's to judge), not values checked against a tolerance.
    /// </summary>
    public static bool TryWriteData(Span<byte> at, TensorDataType type, double v)
    {
        if (double.IsFinite(v))
        {
            return TryWrite(at, type, v);
        }

        switch (type)
        {
            case TensorDataType.Fp64: BinaryPrimitives.WriteDoubleLittleEndian(at, v); return true;
            case TensorDataType.Fp32: BinaryPrimitives.WriteSingleLittleEndian(at, (float)v); return true;
            case TensorDataType.Fp16: BinaryPrimitives.WriteHalfLittleEndian(at, (Half)v); return true;
            case TensorDataType.Bf16: BinaryPrimitives.WriteUInt16LittleEndian(at, BFloat16Bits.FromDouble(v)); return true;
            default: return false;
        }
    }

    /// <summary>
    /// Writes the whole number <paramref name="v"/> as one element of <paramref name="type"/>: the integer types take it as
    /// it is, so an INT64 beyond 2^53 keeps every digit that a trip through double would round away; the floating-point
    /// types take the nearest value they hold. False when the type cannot hold it.
    /// </summary>
    public static bool TryWriteInteger(Span<byte> at, TensorDataType type, long v)
    {
        switch (type)
        {
            case TensorDataType.UInt8 when v is >= byte.MinValue and <= byte.MaxValue: at[0] = (byte)v; return true;
            case TensorDataType.Int8 when v is >= sbyte.MinValue and <= sbyte.MaxValue: at[0] = unchecked((byte)(sbyte)v); return true;
            case TensorDataType.UInt16 when v is >= ushort.MinValue and <= ushort.MaxValue: BinaryPrimitives.WriteUInt16LittleEndian(at, (ushort)v); return true;
            case TensorDataType.Int16 when v is >= short.MinValue and <= short.MaxValue: BinaryPrimitives.WriteInt16LittleEndian(at, (short)v); return true;
            case TensorDataType.UInt32 when v is >= uint.MinValue and <= uint.MaxValue: BinaryPrimitives.WriteUInt32LittleEndian(at, (uint)v); return true;
            case TensorDataType.Int32 when v is >= int.MinValue and <= int.MaxValue: BinaryPrimitives.WriteInt32LittleEndian(at, (int)v); return true;
            case TensorDataType.UInt64 when v >= 0: BinaryPrimitives.WriteUInt64LittleEndian(at, (ulong)v); return true;
            case TensorDataType.Int64: BinaryPrimitives.WriteInt64LittleEndian(at, v); return true;
            default: return !IsInteger(type) && TryWrite(at, type, v);
        }
    }

    /// <summary>Whether <paramref name="type"/> is one of the integer types (BOOL is not).</summary>
    public static bool IsInteger(TensorDataType type) => type is TensorDataType.UInt8 or TensorDataType.Int8 or TensorDataType.UInt16 or TensorDataType.Int16
        or TensorDataType.UInt32 or TensorDataType.Int32 or TensorDataType.UInt64 or TensorDataType.Int64;

    /// <summary>Writes <paramref name="v"/> as one element of <paramref name="type"/> at the start of <paramref name="at"/>; false when the type cannot hold it.</summary>
    public static bool TryWrite(Span<byte> at, TensorDataType type, double v)
    {
        switch (type)
        {
            case TensorDataType.Fp64: BinaryPrimitives.WriteDoubleLittleEndian(at, v); return true;
            case TensorDataType.Fp32 when float.IsFinite((float)v): BinaryPrimitives.WriteSingleLittleEndian(at, (float)v); return true;
            case TensorDataType.Fp16 when Half.IsFinite((Half)v): BinaryPrimitives.WriteHalfLittleEndian(at, (Half)v); return true;
            case TensorDataType.Bf16 when BFloat16Bits.IsFinite(BFloat16Bits.FromDouble(v)): BinaryPrimitives.WriteUInt16LittleEndian(at, BFloat16Bits.FromDouble(v)); return true;
            case TensorDataType.Bool when v is 0 or 1: at[0] = (byte)v; return true;
            case TensorDataType.Fp32 or TensorDataType.Fp16 or TensorDataType.Bf16 or TensorDataType.Bool: return false;
        }

        // The integer types take whole numbers in their range only.
        if (Math.Floor(v) != v)
        {
            return false;
        }

        switch (type)
        {
            case TensorDataType.UInt8 when v is >= byte.MinValue and <= byte.MaxValue: at[0] = (byte)v; return true;
            case TensorDataType.Int8 when v is >= sbyte.MinValue and <= sbyte.MaxValue: at[0] = unchecked((byte)(sbyte)v); return true;
            case TensorDataType.UInt16 when v is >= ushort.MinValue and <= ushort.MaxValue: BinaryPrimitives.WriteUInt16LittleEndian(at, (ushort)v); return true;
            case TensorDataType.Int16 when v is >= short.MinValue and <= short.MaxValue: BinaryPrimitives.WriteInt16LittleEndian(at, (short)v); return true;
            case TensorDataType.UInt32 when v is >= uint.MinValue and <= uint.MaxValue: BinaryPrimitives.WriteUInt32LittleEndian(at, (uint)v); return true;
            case TensorDataType.Int32 when v is >= int.MinValue and <= int.MaxValue: BinaryPrimitives.WriteInt32LittleEndian(at, (int)v); return true;

            // 2^64 and 2^63 are exact doubles, so the upper bounds are exclusive.
            case TensorDataType.UInt64 when v >= 0 && v < 18446744073709551616d: BinaryPrimitives.WriteUInt64LittleEndian(at, (ulong)v); return true;
            case TensorDataType.Int64 when v >= -9223372036854775808d && v < 9223372036854775808d: BinaryPrimitives.WriteInt64LittleEndian(at, (long)v); return true;
            default: return false;
        }
    }
}
