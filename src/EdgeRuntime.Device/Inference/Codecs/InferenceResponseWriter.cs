using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace EdgeRuntime.Device.Inference.Codecs;

/// <summary>
/// Encodes an <see cref="InferenceResponse"/> as the Open Inference Protocol's JSON response object, with
/// the outputs the request wants binary appended after it as the binary tensor extension describes.
/// </summary>
internal static class InferenceResponseWriter
{
    // Relaxed escaping writes non-ASCII text as UTF-8 rather than \u escapes; the body is served as JSON,
    // never embedded in HTML, which is what the default encoder guards against.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [ThreadStatic]
    private static Utf8JsonWriter? _threadWriter;

    /// <summary>
    /// Writes the response. Returns the length of the JSON header when any output went binary (the caller
    /// then sends <c>Inference-Header-Content-Length</c> and <c>application/octet-stream</c>), null when the
    /// body is plain JSON. An output whose bytes do not match its datatype and shape is an
    /// <see cref="InferenceErrorKind.Internal"/> error, raised before anything is written.
    /// </summary>
    public static int? Write(InferenceResponse response, InferenceRequest request, IBufferWriter<byte> output)
    {
        if (WriteHeader(response, request, output) is not { } headerLength)
        {
            return null;
        }

        foreach (var tensor in response.Outputs)
        {
            if (request.WantsBinary(tensor.Name))
            {
                output.Write(tensor.Data.Span);
            }
        }

        return headerLength;
    }

    /// <summary>
    /// Writes only the JSON part of the response. Returns its length when outputs go binary, which the caller
    /// then sends straight from their buffers (each output that <see cref="InferenceRequest.WantsBinary"/>, in order) without copying them
    /// here; null when the JSON is the whole body.
    /// </summary>
    public static int? WriteHeader(InferenceResponse response, InferenceRequest request, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(output);
        foreach (var tensor in response.Outputs)
        {
            if (!JsonTensorDataWriter.TryValidate(tensor, out var problem))
            {
                throw new InferenceException(InferenceErrorKind.Internal, $"output '{tensor.Name}': {problem}");
            }
        }

        var anyBinary = false;
        int headerLength;

        // One writer per thread, reset onto each response's buffer: no writer allocated per response.
        var json = _threadWriter ??= new Utf8JsonWriter(output, Options);
        json.Reset(output);
        try
        {
            json.WriteStartObject();
            json.WriteString("model_name"u8, response.ModelName);
            if (response.ModelVersion is not null)
            {
                json.WriteString("model_version"u8, response.ModelVersion);
            }

            if ((response.Id ?? request.Id) is { } id)
            {
                json.WriteString("id"u8, id);
            }

            if (response.Parameters is { Count: > 0 } parameters)
            {
                json.WritePropertyName("parameters"u8);
                WriteParameters(json, parameters);
            }

            json.WriteStartArray("outputs"u8);
            foreach (var tensor in response.Outputs)
            {
                json.WriteStartObject();
                json.WriteString("name"u8, tensor.Name);
                json.WriteString("datatype"u8, tensor.DataType.ToWireName());
                json.WriteStartArray("shape"u8);
                foreach (var dim in tensor.Shape)
                {
                    json.WriteNumberValue(dim);
                }

                json.WriteEndArray();
                if (request.WantsBinary(tensor.Name))
                {
                    anyBinary = true;
                    json.WriteStartObject("parameters"u8);
                    json.WriteNumber("binary_data_size"u8, tensor.Data.Length);
                    json.WriteEndObject();
                }
                else
                {
                    json.WritePropertyName("data"u8);
                    JsonTensorDataWriter.Write(json, tensor);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.Flush();
            headerLength = checked((int)json.BytesCommitted);
        }
        finally
        {
            json.Reset(NoOutput.Instance);
        }

        return anyBinary ? headerLength : null;
    }

    /// <summary>The bytes of the outputs that go binary, in the order they follow the JSON header.</summary>
    public static long BinaryLength(InferenceResponse response, InferenceRequest request)
    {
        long length = 0;
        foreach (var tensor in response.Outputs)
        {
            if (request.WantsBinary(tensor.Name))
            {
                length += tensor.Data.Length;
            }
        }

        return length;
    }

    /// <summary>Writes the protocol's error object, <c>{"error": message}</c>.</summary>
    public static void WriteError(string message, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(output);
        using var json = new Utf8JsonWriter(output, Options);
        json.WriteStartObject();
        json.WriteString("error"u8, message);
        json.WriteEndObject();
    }

    private static void WriteParameters(Utf8JsonWriter json, IReadOnlyDictionary<string, ParameterValue> parameters)
    {
        json.WriteStartObject();
        foreach (var (name, value) in parameters)
        {
            switch (value.Kind)
            {
                case ParameterKind.String:
                    json.WriteString(name, value.String);
                    break;
                case ParameterKind.Boolean:
                    json.WriteBoolean(name, value.Boolean);
                    break;
                case ParameterKind.Integer:
                    json.WriteNumber(name, value.Integer);
                    break;
                case ParameterKind.Number when double.IsFinite(value.Number):
                    json.WriteNumber(name, value.Number);
                    break;
                default:
                    json.WriteString(name, value.ToString());
                    break;
            }
        }

        json.WriteEndObject();
    }

    /// <summary>Where an idle writer points, so it holds no response buffer between uses.</summary>
    private sealed class NoOutput : IBufferWriter<byte>
    {
        public static readonly NoOutput Instance = new();

        public void Advance(int count) => throw new InvalidOperationException("an idle writer wrote");

        public Memory<byte> GetMemory(int sizeHint = 0) => throw new InvalidOperationException("an idle writer wrote");

        public Span<byte> GetSpan(int sizeHint = 0) => throw new InvalidOperationException("an idle writer wrote");
    }
}
