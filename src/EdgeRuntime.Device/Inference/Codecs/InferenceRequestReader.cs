using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EdgeRuntime.Device.Inference.Codecs;

/// <summary>
/// Decodes an Open Inference Protocol REST request body, JSON with or without the binary tensor extension's
/// trailing tensor bytes, or a raw binary request, into an <see cref="InferenceRequest"/>. Every problem with
/// the body is an <see cref="InferenceException"/> of kind <see cref="InferenceErrorKind.BadRequest"/> whose
/// message says what is wrong and where.
/// </summary>
internal static class InferenceRequestReader
{
    private static readonly string DataTypeList = string.Join(", ", Enum.GetValues<TensorDataType>().Select(t => t.ToWireName()));

    /// <summary>
    /// Decodes a request body. <paramref name="inferenceHeaderLength"/> is the
    /// <c>Inference-Header-Content-Length</c> header: null when absent, so the whole body is JSON. Inputs sent
    /// as binary data are slices of <paramref name="body"/>, so on success the request takes
    /// <paramref name="bodyOwner"/> and disposes it with itself; on failure the caller keeps it.
    /// </summary>
    public static InferenceRequest Read(ReadOnlyMemory<byte> body, int? inferenceHeaderLength, IDisposable? bodyOwner = null)
    {
        var headerLength = inferenceHeaderLength ?? body.Length;
        if (headerLength < 0)
        {
            throw InferenceException.BadRequest($"Inference-Header-Content-Length {headerLength} is negative");
        }

        if (headerLength > body.Length)
        {
            throw InferenceException.BadRequest($"Inference-Header-Content-Length {headerLength} is larger than the {body.Length}-byte body");
        }

        if (headerLength == 0)
        {
            throw InferenceException.BadRequest(inferenceHeaderLength is null
                ? "the request body is empty"
                : "Inference-Header-Content-Length is 0 (a raw binary request) but the request needs a JSON header");
        }

        var header = body.Span[..headerLength];
        var context = new BinarySection(body, headerLength, inferenceHeaderLength is not null);
        var inputs = new List<InferenceTensor>();
        var reader = new Utf8JsonReader(header, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            var request = ReadRequest(ref reader, header, context, inputs);
            if (bodyOwner is not null)
            {
                request.AttachBody(bodyOwner);
            }

            return request;
        }
        catch (InferenceException)
        {
            DisposeAll(inputs);
            throw;
        }
        catch (JsonException ex)
        {
            DisposeAll(inputs);
            throw new InferenceException(
                InferenceErrorKind.BadRequest, $"malformed JSON at byte {BytePosition(header, ex)}: {StripPosition(ex.Message)}", ex);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            DisposeAll(inputs);
            throw new InferenceException(InferenceErrorKind.BadRequest, $"malformed request at byte {reader.TokenStartIndex}: {ex.Message}", ex);
        }
        catch
        {
            DisposeAll(inputs);
            throw;
        }
    }

    /// <summary>
    /// Decodes a raw binary request (<c>Inference-Header-Content-Length: 0</c>): the body is the data of the
    /// model's only input, whose shape is deduced from the byte size (at most one dynamic dimension). A
    /// BYTES input must have shape [1] and the body is its one element's bytes, without a length prefix.
    /// Every output goes back binary. On success the request takes <paramref name="bodyOwner"/>.
    /// </summary>
    public static InferenceRequest ReadRaw(ReadOnlyMemory<byte> body, TensorMetadata input, IDisposable? bodyOwner = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        InferenceTensor tensor;
        if (input.DataType == TensorDataType.Bytes)
        {
            if (input.Shape.Length != 1 || input.Shape[0] is not (1 or -1))
            {
                throw InferenceException.BadRequest(
                    $"input '{input.Name}': a raw binary request can carry a BYTES input only of shape [1], not {InferenceTensor.FormatShape(input.Shape)}");
            }

            if (body.Length > Array.MaxLength - 4)
            {
                throw InferenceException.BadRequest($"input '{input.Name}': the raw binary body of {body.Length} bytes is too large");
            }

            var buffer = new PooledBuffer(4 + body.Length);
            var room = buffer.GetSpan(4 + body.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(room, (uint)body.Length);
            body.Span.CopyTo(room[4..]);
            buffer.Advance(4 + body.Length);
            tensor = new InferenceTensor(input.Name, input.DataType, [1], buffer.WrittenMemory, buffer);
        }
        else
        {
            var shape = DeduceRawShape(body.Length, input);
            ValidateBool(input.Name, input.DataType, body.Span);
            tensor = new InferenceTensor(input.Name, input.DataType, shape, body);
        }

        var request = new InferenceRequest { Inputs = [tensor], BinaryDataOutput = true };
        if (bodyOwner is not null)
        {
            request.AttachBody(bodyOwner);
        }

        return request;
    }

    private static InferenceRequest ReadRequest(ref Utf8JsonReader reader, ReadOnlySpan<byte> header, BinarySection binary, List<InferenceTensor> inputs)
    {
        if (Next(ref reader) != JsonTokenType.StartObject)
        {
            throw InferenceException.BadRequest($"the request must be a JSON object, not {JsonTensorDataReader.Describe(reader.TokenType)}");
        }

        string? id = null;
        Dictionary<string, ParameterValue>? parameters = null;
        var binaryDataOutput = false;
        List<RequestedOutput>? outputs = null;
        var sawInputs = false;
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                Next(ref reader);
                id = ReadString(ref reader, "'id'");
            }
            else if (reader.ValueTextEquals("parameters"u8))
            {
                Next(ref reader);
                parameters = ReadParameters(ref reader, "request", "binary_data_output"u8, out var binaryParameter);
                binaryDataOutput = binaryParameter is { } flag && ReadBinaryFlag(flag, "request parameter 'binary_data_output'");
            }
            else if (reader.ValueTextEquals("inputs"u8))
            {
                ExpectArray(ref reader, "'inputs'");
                while (Next(ref reader) != JsonTokenType.EndArray)
                {
                    var input = ReadInput(ref reader, header, binary, inputs.Count);
                    inputs.Add(input);
                    for (var i = 0; i < inputs.Count - 1; i++)
                    {
                        if (inputs[i].Name == input.Name)
                        {
                            throw InferenceException.BadRequest($"input '{input.Name}' is given more than once");
                        }
                    }
                }

                sawInputs = true;
            }
            else if (reader.ValueTextEquals("outputs"u8))
            {
                ExpectArray(ref reader, "'outputs'");
                outputs = [];
                while (Next(ref reader) != JsonTokenType.EndArray)
                {
                    outputs.Add(ReadOutput(ref reader, outputs.Count));
                }
            }
            else
            {
                // Clients send more than the protocol asks for (Triton's sends model_name); it is not ours to refuse.
                Next(ref reader);
                reader.Skip();
            }
        }

        if (reader.Read())
        {
            throw InferenceException.BadRequest($"malformed JSON at byte {reader.TokenStartIndex}: content after the request object");
        }

        if (!sawInputs)
        {
            throw InferenceException.BadRequest("the request has no 'inputs'");
        }

        binary.CheckFullyUsed();
        return new InferenceRequest
        {
            Id = id,
            Parameters = parameters,
            Inputs = inputs,
            Outputs = outputs,
            BinaryDataOutput = binaryDataOutput,
        };
    }

    private static InferenceTensor ReadInput(ref Utf8JsonReader reader, ReadOnlySpan<byte> header, BinarySection binary, int position)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw InferenceException.BadRequest($"input {position}: must be an object, not {JsonTensorDataReader.Describe(reader.TokenType)}");
        }

        string? name = null;
        TensorDataType? dataType = null;
        long[]? shape = null;
        long? binarySize = null;
        PooledBuffer? data = null;
        var deferredStart = -1;
        var deferredEnd = -1;
        try
        {
            while (Next(ref reader) != JsonTokenType.EndObject)
            {
                var where = name is null ? $"input {position}" : $"input '{name}'";
                if (reader.ValueTextEquals("name"u8))
                {
                    Next(ref reader);
                    name = ReadString(ref reader, $"{where}: 'name'");
                }
                else if (reader.ValueTextEquals("datatype"u8))
                {
                    Next(ref reader);
                    dataType = ReadDataType(ref reader, where);
                }
                else if (reader.ValueTextEquals("shape"u8))
                {
                    Next(ref reader);
                    shape = ReadShape(ref reader, where);
                }
                else if (reader.ValueTextEquals("parameters"u8))
                {
                    Next(ref reader);
                    ReadParameters(ref reader, where, "binary_data_size"u8, out var sizeParameter);
                    if (sizeParameter is { } size)
                    {
                        binarySize = size.Kind == ParameterKind.Integer && size.Integer >= 0
                            ? size.Integer
                            : throw InferenceException.BadRequest($"{where}: binary_data_size must be a non-negative integer, not {size}");
                    }
                }
                else if (reader.ValueTextEquals("data"u8))
                {
                    Next(ref reader);
                    if (data is not null || deferredStart >= 0)
                    {
                        throw InferenceException.BadRequest($"{where}: 'data' is given more than once");
                    }

                    if (name is not null && dataType is { } type && shape is not null)
                    {
                        var remaining = header.Length - reader.TokenStartIndex;
                        data = JsonTensorDataReader.Read(ref reader, name, type, shape, ElementCount(name, shape), (remaining + 1) / 2);
                    }
                    else
                    {
                        // The datatype or shape comes later in the object: convert once they are known.
                        deferredStart = (int)reader.TokenStartIndex;
                        reader.Skip();
                        deferredEnd = (int)reader.BytesConsumed;
                    }
                }
                else
                {
                    Next(ref reader);
                    reader.Skip();
                }
            }

            if (name is null)
            {
                throw InferenceException.BadRequest($"input {position}: missing 'name'");
            }

            if (dataType is null)
            {
                throw InferenceException.BadRequest($"input '{name}': missing 'datatype'");
            }

            if (shape is null)
            {
                throw InferenceException.BadRequest($"input '{name}': missing 'shape'");
            }

            var count = ElementCount(name, shape);
            if (binarySize is { } byteSize)
            {
                if (data is not null || deferredStart >= 0)
                {
                    throw InferenceException.BadRequest($"input '{name}': has both 'data' and a binary_data_size parameter");
                }

                var bytes = binary.Take(name, byteSize);
                ValidateBinary(name, dataType.Value, shape, count, bytes.Span);
                return new InferenceTensor(name, dataType.Value, shape, bytes);
            }

            if (deferredStart >= 0)
            {
                var dataReader = new Utf8JsonReader(header[deferredStart..deferredEnd]);
                dataReader.Read();
                data = JsonTensorDataReader.Read(ref dataReader, name, dataType.Value, shape, count, (deferredEnd - deferredStart + 1) / 2);
            }

            if (data is null)
            {
                throw InferenceException.BadRequest($"input '{name}': missing 'data' (or a binary_data_size parameter)");
            }

            var tensor = new InferenceTensor(name, dataType.Value, shape, data.WrittenMemory, data);
            data = null;
            return tensor;
        }
        finally
        {
            data?.Dispose();
        }
    }

    private static RequestedOutput ReadOutput(ref Utf8JsonReader reader, int position)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw InferenceException.BadRequest($"output {position}: must be an object, not {JsonTensorDataReader.Describe(reader.TokenType)}");
        }

        string? name = null;
        bool? binary = null;
        Dictionary<string, ParameterValue>? parameters = null;
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            var where = name is null ? $"output {position}" : $"output '{name}'";
            if (reader.ValueTextEquals("name"u8))
            {
                Next(ref reader);
                name = ReadString(ref reader, $"{where}: 'name'");
            }
            else if (reader.ValueTextEquals("parameters"u8))
            {
                Next(ref reader);
                parameters = ReadParameters(ref reader, where, "binary_data"u8, out var binaryParameter);
                binary = binaryParameter is { } flag ? ReadBinaryFlag(flag, $"{where}: parameter 'binary_data'") : null;
            }
            else
            {
                Next(ref reader);
                reader.Skip();
            }
        }

        return name is null
            ? throw InferenceException.BadRequest($"output {position}: missing 'name'")
            : new RequestedOutput(name, binary, parameters);
    }

    /// <summary>Reads a parameters object, setting aside the one the binary extension defines at this level.</summary>
    private static Dictionary<string, ParameterValue>? ReadParameters(
        ref Utf8JsonReader reader, string where, ReadOnlySpan<byte> extensionName, out ParameterValue? extensionValue)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw InferenceException.BadRequest($"{where}: 'parameters' must be an object, not {JsonTensorDataReader.Describe(reader.TokenType)}");
        }

        extensionValue = null;
        Dictionary<string, ParameterValue>? parameters = null;
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            var isExtension = reader.ValueTextEquals(extensionName);
            var key = reader.GetString()!;
            Next(ref reader);
            ParameterValue value;
            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    value = ParameterValue.FromString(reader.GetString()!);
                    break;
                case JsonTokenType.True or JsonTokenType.False:
                    value = ParameterValue.FromBoolean(reader.GetBoolean());
                    break;
                case JsonTokenType.Number when reader.TryGetInt64(out var integer):
                    value = ParameterValue.FromInteger(integer);
                    break;
                case JsonTokenType.Number when reader.TryGetDouble(out var number) && double.IsFinite(number):
                    value = ParameterValue.FromNumber(number);
                    break;
                case JsonTokenType.Number:
                    throw InferenceException.BadRequest($"{where}: parameter '{key}' is out of range");
                default:
                    throw InferenceException.BadRequest(
                        $"{where}: parameter '{key}' must be a string, number or boolean, not {JsonTensorDataReader.Describe(reader.TokenType)}");
            }

            if (isExtension)
            {
                extensionValue = value;
            }
            else
            {
                parameters ??= [];
                parameters[key] = value;
            }
        }

        return parameters;
    }

    private static bool ReadBinaryFlag(ParameterValue value, string what) => value.Kind == ParameterKind.Boolean
        ? value.Boolean
        : throw InferenceException.BadRequest($"{what} must be a boolean, not {value}");

    private static TensorDataType ReadDataType(ref Utf8JsonReader reader, string where)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw InferenceException.BadRequest($"{where}: 'datatype' must be a string, not {JsonTensorDataReader.Describe(reader.TokenType)}");
        }

        if (!reader.ValueIsEscaped && TensorDataTypes.TryParse(reader.ValueSpan, out var type))
        {
            return type;
        }

        var text = reader.GetString()!;
        return TensorDataTypes.TryParse(text, out type)
            ? type
            : throw InferenceException.BadRequest($"{where}: datatype '{Shorten(text)}' is not one of {DataTypeList}");
    }

    private static long[] ReadShape(ref Utf8JsonReader reader, string where)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw InferenceException.BadRequest($"{where}: 'shape' must be an array of integers, not {JsonTensorDataReader.Describe(reader.TokenType)}");
        }

        var dims = new List<long>(4);
        while (Next(ref reader) != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number)
            {
                throw InferenceException.BadRequest(
                    $"{where}: shape dimension {dims.Count} is {JsonTensorDataReader.Describe(reader.TokenType)}; 'shape' must be an array of integers");
            }

            if (!reader.TryGetInt64(out var dim))
            {
                throw InferenceException.BadRequest(
                    $"{where}: shape dimension {dims.Count} ({Encoding.ASCII.GetString(reader.ValueSpan[..Math.Min(reader.ValueSpan.Length, 40)])}) is not an integer");
            }

            if (dim < 0)
            {
                throw InferenceException.BadRequest($"{where}: shape dimension {dims.Count} is {dim}; dimensions must be >= 0");
            }

            dims.Add(dim);
        }

        return [.. dims];
    }

    private static long ElementCount(string name, long[] shape)
    {
        try
        {
            return InferenceTensor.ElementCountOf(shape);
        }
        catch (OverflowException ex)
        {
            throw new InferenceException(InferenceErrorKind.BadRequest, $"input '{name}': shape {InferenceTensor.FormatShape(shape)} has too many elements", ex);
        }
    }

    private static void ValidateBinary(string name, TensorDataType type, long[] shape, long count, ReadOnlySpan<byte> bytes)
    {
        if (type != TensorDataType.Bytes)
        {
            var elementSize = type.ElementSize();
            if (count > bytes.Length / elementSize || count * elementSize != bytes.Length)
            {
                var needed = count <= long.MaxValue / elementSize
                    ? (count * elementSize).ToString(CultureInfo.InvariantCulture)
                    : "more than " + long.MaxValue.ToString(CultureInfo.InvariantCulture);
                throw InferenceException.BadRequest(
                    $"input '{name}': binary_data_size is {bytes.Length} but shape {InferenceTensor.FormatShape(shape)} of {type.ToWireName()} needs {needed} bytes");
            }

            ValidateBool(name, type, bytes);
            return;
        }

        var offset = 0;
        for (long i = 0; i < count; i++)
        {
            if (bytes.Length - offset < 4)
            {
                throw InferenceException.BadRequest(
                    $"input '{name}': BYTES element {i} has no room for its 4-byte length in the {bytes.Length}-byte binary data (shape {InferenceTensor.FormatShape(shape)})");
            }

            var length = BinaryPrimitives.ReadUInt32LittleEndian(bytes[offset..]);
            offset += 4;
            if (length > (uint)(bytes.Length - offset))
            {
                throw InferenceException.BadRequest(
                    $"input '{name}': BYTES element {i} has length {length}, which runs past the end of its {bytes.Length}-byte binary data");
            }

            offset += (int)length;
        }

        if (offset != bytes.Length)
        {
            throw InferenceException.BadRequest(
                $"input '{name}': binary data has {bytes.Length - offset} bytes left over after the {count} BYTES elements of shape {InferenceTensor.FormatShape(shape)}");
        }
    }

    private static void ValidateBool(string name, TensorDataType type, ReadOnlySpan<byte> bytes)
    {
        if (type != TensorDataType.Bool)
        {
            return;
        }

        var bad = bytes.IndexOfAnyExcept((byte)0, (byte)1);
        if (bad >= 0)
        {
            throw InferenceException.BadRequest($"input '{name}': BOOL element {bad} is byte {bytes[bad]}; it must be 0 or 1");
        }
    }

    private static long[] DeduceRawShape(int byteLength, TensorMetadata input)
    {
        var type = input.DataType;
        var elementSize = type.ElementSize();
        if (byteLength % elementSize != 0)
        {
            throw InferenceException.BadRequest(
                $"input '{input.Name}': the raw binary body of {byteLength} bytes is not a whole number of {type.ToWireName()} elements ({elementSize} bytes each)");
        }

        long count = byteLength / elementSize;
        var shape = (long[])input.Shape.Clone();
        var dynamicIndex = -1;
        long known = 1;
        for (var i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0)
            {
                if (dynamicIndex >= 0)
                {
                    throw InferenceException.BadRequest(
                        $"input '{input.Name}': shape {InferenceTensor.FormatShape(input.Shape)} has more than one dynamic dimension, so a raw binary request cannot give its shape");
                }

                dynamicIndex = i;
            }
            else
            {
                known = (long)Int128.Min((Int128)known * shape[i], long.MaxValue);
            }
        }

        if (dynamicIndex >= 0 && known > 0 && count % known == 0)
        {
            shape[dynamicIndex] = count / known;
        }
        else if (dynamicIndex >= 0 && known == 0 && count == 0)
        {
            shape[dynamicIndex] = 1;
        }
        else if (dynamicIndex >= 0 || known != count)
        {
            throw InferenceException.BadRequest(
                $"input '{input.Name}': the raw binary body holds {count} {type.ToWireName()} elements, which do not fit shape {InferenceTensor.FormatShape(input.Shape)}");
        }

        return shape;
    }

    private static void DisposeAll(List<InferenceTensor> inputs)
    {
        foreach (var input in inputs)
        {
            input.Dispose();
        }
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader) => reader.Read()
        ? reader.TokenType
        : throw InferenceException.BadRequest($"malformed JSON at byte {reader.BytesConsumed}: the JSON header ends early");

    private static void ExpectArray(ref Utf8JsonReader reader, string what)
    {
        if (Next(ref reader) != JsonTokenType.StartArray)
        {
            throw InferenceException.BadRequest($"{what} must be an array, not {JsonTensorDataReader.Describe(reader.TokenType)}");
        }
    }

    private static string ReadString(ref Utf8JsonReader reader, string what) => reader.TokenType == JsonTokenType.String
        ? reader.GetString()!
        : throw InferenceException.BadRequest($"{what} must be a string, not {JsonTensorDataReader.Describe(reader.TokenType)}");

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";

    private static long BytePosition(ReadOnlySpan<byte> header, JsonException ex)
    {
        // The reader reports a line and a byte within it; count lines the way it does, by '\n'.
        long line = ex.LineNumber ?? 0;
        var lineStart = 0;
        while (line > 0)
        {
            var next = header[lineStart..].IndexOf((byte)'\n');
            if (next < 0)
            {
                break;
            }

            lineStart += next + 1;
            line--;
        }

        return lineStart + (ex.BytePositionInLine ?? 0);
    }

    private static string StripPosition(string message)
    {
        var at = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return at >= 0 ? message[..at] : message;
    }
}
