using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;

namespace EdgeRuntime.Device.Inference.Codecs;

/// <summary>
/// Converts the JSON <c>data</c> array of a request input, flat or nested in row-major order, into the
/// tensor's binary form in a pooled buffer.
/// </summary>
internal static class JsonTensorDataReader
{
    private const double MaxExactInteger = 9007199254740992d; // 2^53: beyond it a double skips integers.

    /// <summary>
    /// Reads the array the reader is on (its <see cref="JsonTokenType.StartArray"/>) and leaves the reader on
    /// its end. <paramref name="maxElements"/> bounds how many elements the remaining JSON could hold, so a
    /// shape claiming more is refused without renting a buffer for it.
    /// </summary>
    public static PooledBuffer Read(ref Utf8JsonReader reader, string inputName, TensorDataType type, long[] shape, long elementCount, long maxElements)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw InferenceException.BadRequest($"input '{inputName}': 'data' must be an array, not {Describe(reader.TokenType)}");
        }

        var elementSize = type.ElementSize();

        // A shape that asks for more elements than the text can hold is certainly wrong: count what is there
        // for the error instead of renting for the shape.
        var countOnly = elementCount > maxElements;
        var capacity = countOnly ? 0
            : type == TensorDataType.Bytes ? (int)Math.Min(elementCount * 8, Array.MaxLength)
            : elementCount * elementSize <= Array.MaxLength ? (int)(elementCount * elementSize)
            : throw InferenceException.BadRequest($"input '{inputName}': shape {InferenceTensor.FormatShape(shape)} of {type.ToWireName()} is too large for JSON data");

        var buffer = new PooledBuffer(capacity);
        try
        {
            Span<byte> scratch = stackalloc byte[8];
            var depth = reader.CurrentDepth;
            long index = 0;
            while (true)
            {
                if (!reader.Read())
                {
                    throw InferenceException.BadRequest($"input '{inputName}': 'data' ends early");
                }

                switch (reader.TokenType)
                {
                    case JsonTokenType.EndArray when reader.CurrentDepth == depth:
                        if (index != elementCount)
                        {
                            throw InferenceException.BadRequest(
                                $"input '{inputName}': data has {index} elements but shape {InferenceTensor.FormatShape(shape)} needs {elementCount}");
                        }

                        return buffer;
                    case JsonTokenType.StartArray or JsonTokenType.EndArray:
                        continue;
                    case JsonTokenType.StartObject:
                    case JsonTokenType.Null:
                        throw WrongType(inputName, index, type, reader.TokenType);
                }

                var store = !countOnly && index < elementCount;
                if (type == TensorDataType.Bytes)
                {
                    ReadBytesElement(ref reader, inputName, index, store, buffer);
                }
                else
                {
                    var destination = store ? buffer.GetSpan(elementSize) : scratch;
                    ReadFixedElement(ref reader, inputName, index, type, destination);
                    if (store)
                    {
                        buffer.Advance(elementSize);
                    }
                }

                index++;
            }
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    private static void ReadBytesElement(ref Utf8JsonReader reader, string inputName, long index, bool store, PooledBuffer buffer)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw WrongType(inputName, index, TensorDataType.Bytes, reader.TokenType);
        }

        if (!store)
        {
            return;
        }

        // Unescaping never lengthens a string, so the raw token length is room enough.
        var room = buffer.GetSpan(4 + reader.ValueSpan.Length);
        int length;
        if (reader.ValueIsEscaped)
        {
            try
            {
                length = reader.CopyString(room[4..]);
            }
            catch (InvalidOperationException ex)
            {
                throw new InferenceException(
                    InferenceErrorKind.BadRequest, $"input '{inputName}': element {index} is not a valid string: {ex.Message}", ex);
            }
        }
        else
        {
            reader.ValueSpan.CopyTo(room[4..]);
            length = reader.ValueSpan.Length;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(room, (uint)length);
        buffer.Advance(4 + length);
    }

    private static void ReadFixedElement(ref Utf8JsonReader reader, string inputName, long index, TensorDataType type, scoped Span<byte> destination)
    {
        switch (type)
        {
            case TensorDataType.Bool:
                destination[0] = ReadBool(ref reader, inputName, index);
                break;
            case TensorDataType.UInt8:
                destination[0] = (byte)ReadInteger(ref reader, inputName, index, type, byte.MinValue, byte.MaxValue);
                break;
            case TensorDataType.UInt16:
                BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)ReadInteger(ref reader, inputName, index, type, ushort.MinValue, ushort.MaxValue));
                break;
            case TensorDataType.UInt32:
                BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)ReadInteger(ref reader, inputName, index, type, uint.MinValue, uint.MaxValue));
                break;
            case TensorDataType.UInt64:
                BinaryPrimitives.WriteUInt64LittleEndian(destination, ReadUInt64(ref reader, inputName, index));
                break;
            case TensorDataType.Int8:
                destination[0] = (byte)(sbyte)ReadInteger(ref reader, inputName, index, type, sbyte.MinValue, sbyte.MaxValue);
                break;
            case TensorDataType.Int16:
                BinaryPrimitives.WriteInt16LittleEndian(destination, (short)ReadInteger(ref reader, inputName, index, type, short.MinValue, short.MaxValue));
                break;
            case TensorDataType.Int32:
                BinaryPrimitives.WriteInt32LittleEndian(destination, (int)ReadInteger(ref reader, inputName, index, type, int.MinValue, int.MaxValue));
                break;
            case TensorDataType.Int64:
                BinaryPrimitives.WriteInt64LittleEndian(destination, ReadInteger(ref reader, inputName, index, type, long.MinValue, long.MaxValue));
                break;
            case TensorDataType.Fp16:
                BinaryPrimitives.WriteHalfLittleEndian(destination, ReadHalf(ref reader, inputName, index));
                break;
            case TensorDataType.Bf16:
                BinaryPrimitives.WriteUInt16LittleEndian(destination, ReadBFloat16(ref reader, inputName, index));
                break;
            case TensorDataType.Fp32:
                BinaryPrimitives.WriteSingleLittleEndian(destination, ReadSingle(ref reader, inputName, index));
                break;
            case TensorDataType.Fp64:
                BinaryPrimitives.WriteDoubleLittleEndian(destination, ReadDouble(ref reader, inputName, index));
                break;
            default:
                throw InferenceException.BadRequest($"input '{inputName}': datatype {type.ToWireName()} cannot be given as JSON data");
        }
    }

    private static byte ReadBool(ref Utf8JsonReader reader, string inputName, long index)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.True:
                return 1;
            case JsonTokenType.False:
                return 0;
            case JsonTokenType.Number when reader.TryGetInt64(out var value) && value is 0 or 1:
                return (byte)value;
            case JsonTokenType.Number:
                throw InferenceException.BadRequest(
                    $"input '{inputName}': element {index} ({NumberText(ref reader)}) is not a boolean; BOOL needs true, false, 0 or 1");
            default:
                throw WrongType(inputName, index, TensorDataType.Bool, reader.TokenType);
        }
    }

    private static long ReadInteger(ref Utf8JsonReader reader, string inputName, long index, TensorDataType type, long min, long max)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw WrongType(inputName, index, type, reader.TokenType);
        }

        if (!reader.TryGetInt64(out var value))
        {
            value = (long)ReadIntegralDouble(ref reader, inputName, index, type, min, max);
        }

        if (value < min || value > max)
        {
            throw OutOfRange(ref reader, inputName, index, type);
        }

        return value;
    }

    private static ulong ReadUInt64(ref Utf8JsonReader reader, string inputName, long index)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw WrongType(inputName, index, TensorDataType.UInt64, reader.TokenType);
        }

        return reader.TryGetUInt64(out var value)
            ? value
            : (ulong)ReadIntegralDouble(ref reader, inputName, index, TensorDataType.UInt64, 0, ulong.MaxValue);
    }

    // Integers written with a fraction or an exponent (1.0, 1e3) are taken when their value is a whole number
    // that a double holds exactly; anything else is refused rather than rounded.
    private static double ReadIntegralDouble(ref Utf8JsonReader reader, string inputName, long index, TensorDataType type, double min, double max)
    {
        // A plain integer the exact parse refused is out of range for the type.
        if (reader.ValueSpan.IndexOfAny(".eE"u8) < 0 || !reader.TryGetDouble(out var value) || double.IsInfinity(value))
        {
            throw OutOfRange(ref reader, inputName, index, type);
        }

        if (Math.Floor(value) != value)
        {
            throw InferenceException.BadRequest(
                $"input '{inputName}': element {index} ({NumberText(ref reader)}) is not an integer; {type.ToWireName()} needs an integer");
        }

        if (value < min || value > max)
        {
            throw OutOfRange(ref reader, inputName, index, type);
        }

        if (Math.Abs(value) > MaxExactInteger)
        {
            throw InferenceException.BadRequest(
                $"input '{inputName}': element {index} ({NumberText(ref reader)}) is too large to read exactly with a fraction or exponent; write it as a plain integer");
        }

        return value;
    }

    private static Half ReadHalf(ref Utf8JsonReader reader, string inputName, long index)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return (Half)ReadSpecialFloat(ref reader, inputName, index, TensorDataType.Fp16);
        }

        if (reader.TokenType != JsonTokenType.Number)
        {
            throw WrongType(inputName, index, TensorDataType.Fp16, reader.TokenType);
        }

        // Parsing the text straight to half rounds once; going through double could round twice.
        if (!Half.TryParse(reader.ValueSpan, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || Half.IsInfinity(value))
        {
            throw OutOfRange(ref reader, inputName, index, TensorDataType.Fp16);
        }

        return value;
    }

    private static ushort ReadBFloat16(ref Utf8JsonReader reader, string inputName, long index)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return BFloat16Bits.FromDouble(ReadSpecialFloat(ref reader, inputName, index, TensorDataType.Bf16));
        }

        if (reader.TokenType != JsonTokenType.Number)
        {
            throw WrongType(inputName, index, TensorDataType.Bf16, reader.TokenType);
        }

        if (!reader.TryGetDouble(out var value) || !BFloat16Bits.IsFinite(BFloat16Bits.FromDouble(value)))
        {
            throw OutOfRange(ref reader, inputName, index, TensorDataType.Bf16);
        }

        return BFloat16Bits.FromDouble(value);
    }

    private static float ReadSingle(ref Utf8JsonReader reader, string inputName, long index)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return (float)ReadSpecialFloat(ref reader, inputName, index, TensorDataType.Fp32);
        }

        if (reader.TokenType != JsonTokenType.Number)
        {
            throw WrongType(inputName, index, TensorDataType.Fp32, reader.TokenType);
        }

        if (!reader.TryGetSingle(out var value) || float.IsInfinity(value))
        {
            throw OutOfRange(ref reader, inputName, index, TensorDataType.Fp32);
        }

        return value;
    }

    private static double ReadDouble(ref Utf8JsonReader reader, string inputName, long index)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return ReadSpecialFloat(ref reader, inputName, index, TensorDataType.Fp64);
        }

        if (reader.TokenType != JsonTokenType.Number)
        {
            throw WrongType(inputName, index, TensorDataType.Fp64, reader.TokenType);
        }

        if (!reader.TryGetDouble(out var value) || double.IsInfinity(value))
        {
            throw OutOfRange(ref reader, inputName, index, TensorDataType.Fp64);
        }

        return value;
    }

    private static double ReadSpecialFloat(ref Utf8JsonReader reader, string inputName, long index, TensorDataType type)
    {
        if (reader.ValueTextEquals("NaN"u8))
        {
            return double.NaN;
        }

        if (reader.ValueTextEquals("Infinity"u8))
        {
            return double.PositiveInfinity;
        }

        if (reader.ValueTextEquals("-Infinity"u8))
        {
            return double.NegativeInfinity;
        }

        throw InferenceException.BadRequest(
            $"input '{inputName}': element {index} is a string other than \"NaN\", \"Infinity\" or \"-Infinity\"; {type.ToWireName()} needs a number");
    }

    private static InferenceException WrongType(string inputName, long index, TensorDataType type, JsonTokenType token)
    {
        var wanted = type switch
        {
            TensorDataType.Bool => "true, false, 0 or 1",
            TensorDataType.Bytes => "a string",
            TensorDataType.Fp16 or TensorDataType.Bf16 or TensorDataType.Fp32 or TensorDataType.Fp64 => "a number or \"NaN\", \"Infinity\", \"-Infinity\"",
            _ => "an integer",
        };
        return InferenceException.BadRequest($"input '{inputName}': element {index} is {Describe(token)}; {type.ToWireName()} needs {wanted}");
    }

    private static InferenceException OutOfRange(ref Utf8JsonReader reader, string inputName, long index, TensorDataType type) =>
        InferenceException.BadRequest($"input '{inputName}': element {index} ({NumberText(ref reader)}) is out of range for {type.ToWireName()}");

    private static string NumberText(ref Utf8JsonReader reader)
    {
        // Number tokens are ASCII and never escaped; long ones are cut so a message stays readable.
        var span = reader.ValueSpan;
        var text = System.Text.Encoding.ASCII.GetString(span[..Math.Min(span.Length, 40)]);
        return span.Length > 40 ? text + "..." : text;
    }

    internal static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };
}
