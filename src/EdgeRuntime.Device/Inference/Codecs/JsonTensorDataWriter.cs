using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;

namespace EdgeRuntime.Device.Inference.Codecs;

/// <summary>
/// Writes a tensor's elements as a flat JSON array straight from its bytes, without per-element allocations.
/// Floating-point values are the shortest text that reads back as the same value, except that whole FP16 and
/// BF16 values below 2^24 are written as the exact integer (65504, not 65500, which also reads back as the
/// same half but not as the same double); NaN and the infinities are the strings "NaN", "Infinity" and
/// "-Infinity". A BYTES element is a JSON string when it is valid UTF-8
/// and otherwise its base64 encoding, also a JSON string: the protocol has no other way to carry it.
/// </summary>
internal static class JsonTensorDataWriter
{
    public static void Write(Utf8JsonWriter json, InferenceTensor tensor)
    {
        var data = tensor.Data.Span;
        Span<byte> text = stackalloc byte[64];
        json.WriteStartArray();
        switch (tensor.DataType)
        {
            case TensorDataType.Bool:
                foreach (var value in data)
                {
                    json.WriteBooleanValue(value != 0);
                }

                break;
            case TensorDataType.UInt8:
                foreach (var value in data)
                {
                    json.WriteNumberValue(value);
                }

                break;
            case TensorDataType.Int8:
                foreach (var value in data)
                {
                    json.WriteNumberValue((sbyte)value);
                }

                break;
            case TensorDataType.UInt16:
                for (var i = 0; i < data.Length; i += 2)
                {
                    json.WriteNumberValue(BinaryPrimitives.ReadUInt16LittleEndian(data[i..]));
                }

                break;
            case TensorDataType.Int16:
                for (var i = 0; i < data.Length; i += 2)
                {
                    json.WriteNumberValue(BinaryPrimitives.ReadInt16LittleEndian(data[i..]));
                }

                break;
            case TensorDataType.UInt32:
                for (var i = 0; i < data.Length; i += 4)
                {
                    json.WriteNumberValue(BinaryPrimitives.ReadUInt32LittleEndian(data[i..]));
                }

                break;
            case TensorDataType.Int32:
                for (var i = 0; i < data.Length; i += 4)
                {
                    json.WriteNumberValue(BinaryPrimitives.ReadInt32LittleEndian(data[i..]));
                }

                break;
            case TensorDataType.UInt64:
                for (var i = 0; i < data.Length; i += 8)
                {
                    json.WriteNumberValue(BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
                }

                break;
            case TensorDataType.Int64:
                for (var i = 0; i < data.Length; i += 8)
                {
                    json.WriteNumberValue(BinaryPrimitives.ReadInt64LittleEndian(data[i..]));
                }

                break;
            case TensorDataType.Fp16:
                for (var i = 0; i < data.Length; i += 2)
                {
                    var value = BinaryPrimitives.ReadHalfLittleEndian(data[i..]);
                    if (IsSmallWholeNumber((float)value))
                    {
                        json.WriteNumberValue((long)(float)value);
                    }
                    else if (Half.IsFinite(value) && value.TryFormat(text, out var written, default, CultureInfo.InvariantCulture))
                    {
                        json.WriteRawValue(text[..written], skipInputValidation: true);
                    }
                    else
                    {
                        WriteNonFinite(json, (double)value);
                    }
                }

                break;
            case TensorDataType.Bf16:
                for (var i = 0; i < data.Length; i += 2)
                {
                    var bits = BinaryPrimitives.ReadUInt16LittleEndian(data[i..]);
                    if (IsSmallWholeNumber(BFloat16Bits.ToSingle(bits)))
                    {
                        json.WriteNumberValue((long)BFloat16Bits.ToSingle(bits));
                    }
                    else if (BFloat16Bits.IsFinite(bits))
                    {
                        json.WriteRawValue(text[..BFloat16Bits.FormatShortest(bits, text)], skipInputValidation: true);
                    }
                    else
                    {
                        WriteNonFinite(json, BFloat16Bits.ToSingle(bits));
                    }
                }

                break;
            case TensorDataType.Fp32:
                for (var i = 0; i < data.Length; i += 4)
                {
                    var value = BinaryPrimitives.ReadSingleLittleEndian(data[i..]);
                    if (float.IsFinite(value) && value.TryFormat(text, out var written, default, CultureInfo.InvariantCulture))
                    {
                        json.WriteRawValue(text[..written], skipInputValidation: true);
                    }
                    else
                    {
                        WriteNonFinite(json, value);
                    }
                }

                break;
            case TensorDataType.Fp64:
                for (var i = 0; i < data.Length; i += 8)
                {
                    var value = BinaryPrimitives.ReadDoubleLittleEndian(data[i..]);
                    if (double.IsFinite(value) && value.TryFormat(text, out var written, default, CultureInfo.InvariantCulture))
                    {
                        json.WriteRawValue(text[..written], skipInputValidation: true);
                    }
                    else
                    {
                        WriteNonFinite(json, value);
                    }
                }

                break;
            case TensorDataType.Bytes:
                for (var offset = 0; offset < data.Length;)
                {
                    var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]);
                    var element = data.Slice(offset + 4, length);
                    if (Utf8.IsValid(element))
                    {
                        json.WriteStringValue(element);
                    }
                    else
                    {
                        json.WriteBase64StringValue(element);
                    }

                    offset += 4 + length;
                }

                break;
        }

        json.WriteEndArray();
    }

    /// <summary>Whether the tensor's bytes are what its datatype and shape say; writing trusts that they are.</summary>
    public static bool TryValidate(InferenceTensor tensor, out string problem)
    {
        var data = tensor.Data.Span;
        long count;
        try
        {
            count = tensor.ElementCount;
        }
        catch (OverflowException)
        {
            problem = $"shape {InferenceTensor.FormatShape(tensor.Shape)} has too many elements";
            return false;
        }

        if (tensor.DataType != TensorDataType.Bytes)
        {
            var elementSize = tensor.DataType.ElementSize();
            if (count > data.Length / elementSize || count * elementSize != data.Length)
            {
                problem = $"holds {data.Length} bytes but shape {InferenceTensor.FormatShape(tensor.Shape)} of {tensor.DataType.ToWireName()} needs {(Int128)count * elementSize}";
                return false;
            }

            problem = "";
            return true;
        }

        var offset = 0;
        for (long i = 0; i < count; i++)
        {
            if (data.Length - offset < 4 || BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]) > (uint)(data.Length - offset - 4))
            {
                problem = $"BYTES element {i} runs past the end of the {data.Length}-byte data";
                return false;
            }

            offset += 4 + (int)BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]);
        }

        problem = offset == data.Length ? "" : $"has {data.Length - offset} bytes left over after its {count} BYTES elements";
        return offset == data.Length;
    }

    // Zero is left to the formatter, which keeps the sign of -0.
    private static bool IsSmallWholeNumber(float value) => value != 0 && Math.Abs(value) < 16777216f && MathF.Floor(value) == value;

    private static void WriteNonFinite(Utf8JsonWriter json, double value) => json.WriteStringValue(
        double.IsNaN(value) ? "NaN"u8 : double.IsPositiveInfinity(value) ? "Infinity"u8 : "-Infinity"u8);
}
