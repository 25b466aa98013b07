using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Codecs;

namespace EdgeRuntime.Device.Batch;

/// <summary>
/// Encodes rows' results and errors for a job's output format, on the pipeline's writer thread, just before it
/// commits them. SQLite: one <c>results</c> record per row and output (raw bytes, plus a JSON array of the values
/// when there are at most <see cref="MaxValueElements"/>). CSV: <c>index,key,error,&lt;output&gt;_&lt;i&gt;…</c>, one
/// column per element of an output whose row shape is fixed and at most <see cref="MaxValueElements"/> elements,
/// otherwise one column holding the JSON array. JSONL: one object per row.
/// </summary>
internal sealed class BatchOutput
{
    /// <summary>Outputs with more elements per row keep no JSON <c>value</c> in SQLite and one JSON field in CSV.</summary>
    public const int MaxValueElements = 4096;

    public const string Sqlite = "sqlite";
    public const string Csv = "csv";
    public const string Jsonl = "jsonl";

    private static readonly byte[] Newline = "\n"u8.ToArray();

    // Keys, errors and BYTES values stay readable in the file (JSONL is not embedded in HTML, the reason for the default escaping).
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _jsonBuffer;

    [ThreadStatic]
    private static Utf8JsonWriter? _json;

    [ThreadStatic]
    private static (long[] Shape, byte[] Text)? _lastShape;

    private readonly string[] _outputs;

    /// <summary>Per kept output: its name and datatype in UTF-8, for the <c>results</c> table.</summary>
    private readonly (byte[] Name, byte[] DataType)[] _utf8;

    /// <summary>Per kept output: the elements of one row when they are fixed and few enough to flatten into CSV columns; -1 otherwise.</summary>
    private readonly int[] _flattened;

    /// <param name="format"><see cref="Sqlite"/>, <see cref="Csv"/> or <see cref="Jsonl"/>.</param>
    /// <param name="outputs">The kept outputs' metadata, in the order they are written.</param>
    /// <param name="batched">Whether the first dimension is the batch (so a row's shape is the rest).</param>
    public BatchOutput(string format, IReadOnlyList<TensorMetadata> outputs, bool batched)
    {
        Format = format;
        _outputs = [.. outputs.Select(o => o.Name)];
        _flattened = new int[outputs.Count];
        _utf8 = [.. outputs.Select(o => (Encoding.UTF8.GetBytes(o.Name), Encoding.UTF8.GetBytes(o.DataType.ToWireName())))];
        for (var i = 0; i < outputs.Count; i++)
        {
            var rowShape = batched ? outputs[i].Shape.AsSpan(1) : outputs[i].Shape.AsSpan();
            var fixedShape = true;
            foreach (var dim in rowShape)
            {
                fixedShape &= dim >= 0;
            }

            var elements = fixedShape ? InferenceTensor.ElementCountOf(rowShape) : long.MaxValue;
            _flattened[i] = elements <= MaxValueElements ? (int)elements : -1;
        }
    }

    public string Format { get; }

    /// <summary>The kept outputs, in the order the model is asked for them.</summary>
    public string[] OutputNames => _outputs;

    /// <summary>The format for <paramref name="requested"/> (sqlite, csv or jsonl), else by the output's extension, else SQLite.</summary>
    /// <exception cref="BatchJobException">An unknown format.</exception>
    public static string FormatOf(string? requested, string output)
    {
        if (requested is not null)
        {
            return requested.ToLowerInvariant() switch
            {
                Sqlite or "db" => Sqlite,
                Csv => Csv,
                Jsonl or "ndjson" => Jsonl,
                _ => throw new BatchJobException($"output format '{requested}' is not one of sqlite, csv, jsonl"),
            };
        }

        return Path.GetExtension(output).ToLowerInvariant() switch
        {
            ".csv" => Csv,
            ".jsonl" or ".ndjson" => Jsonl,
            _ => Sqlite,
        };
    }

    /// <summary>The first line of a CSV output; empty for the other formats.</summary>
    public byte[] Header()
    {
        if (Format != Csv)
        {
            return [];
        }

        var header = new StringBuilder("index,key,error");
        for (var i = 0; i < _outputs.Length; i++)
        {
            if (_flattened[i] < 0)
            {
                header.Append(',').Append(CsvField(_outputs[i]));
                continue;
            }

            for (var element = 0; element < _flattened[i]; element++)
            {
                header.Append(',').Append(CsvField(string.Create(CultureInfo.InvariantCulture, $"{_outputs[i]}_{element}")));
            }
        }

        return Encoding.UTF8.GetBytes(header.Append('\n').ToString());
    }

    /// <summary>Adds row <paramref name="index"/>'s results: <paramref name="outputs"/>, one per kept output, in order.</summary>
    public void AddResult(BatchCompleted batch, long index, string key, IReadOnlyList<InferenceTensor> outputs)
    {
        batch.Succeeded++;
        switch (Format)
        {
            case Sqlite:
                // Nothing per row is allocated: key and value go into the batch's bytes, the data stays the run's.
                var keyStart = (int)batch.Text.Length;
                WriteUtf8(batch.Text, key);
                var keyLength = (int)batch.Text.Length - keyStart;
                for (var i = 0; i < outputs.Count; i++)
                {
                    var output = outputs[i];
                    var (valueStart, valueLength) = (0, -1);
                    if (output.ElementCount <= MaxValueElements)
                    {
                        valueStart = (int)batch.Text.Length;
                        batch.Text.Write(JsonArray(output));
                        valueLength = (int)batch.Text.Length - valueStart;
                    }

                    batch.Results.Add(new BatchResultRecord(index, keyStart, keyLength, _utf8[i].Name, _utf8[i].DataType, ShapeText(output.Shape), output.Data, valueStart, valueLength));
                }

                break;
            case Csv:
                WriteCsvStart(batch.Text, index, key, error: null);
                for (var i = 0; i < outputs.Count; i++)
                {
                    WriteCsvValues(batch.Text, outputs[i], _flattened[i]);
                }

                batch.Text.Write(Newline);
                break;
            default:
                using (var json = new Utf8JsonWriter(batch.Text, JsonOptions))
                {
                    json.WriteStartObject();
                    json.WriteNumber("index"u8, index);
                    json.WriteString("key"u8, key);
                    json.WriteStartObject("outputs"u8);
                    foreach (var output in outputs)
                    {
                        json.WriteStartObject(output.Name);
                        json.WriteString("datatype"u8, output.DataType.ToWireName());
                        json.WriteStartArray("shape"u8);
                        foreach (var dim in output.Shape)
                        {
                            json.WriteNumberValue(dim);
                        }

                        json.WriteEndArray();
                        json.WritePropertyName("data"u8);
                        JsonTensorDataWriter.Write(json, output);
                        json.WriteEndObject();
                    }

                    json.WriteEndObject();
                    json.WriteEndObject();
                }

                batch.Text.Write(Newline);
                break;
        }
    }

    /// <summary>Adds row <paramref name="index"/>'s error: to the <c>errors</c> table always, and as a line of CSV/JSONL output.</summary>
    public void AddError(BatchCompleted batch, long index, string key, string error)
    {
        batch.Failed++;
        batch.Errors.Add(new BatchErrorRecord(index, key, error));
        switch (Format)
        {
            case Csv:
                WriteCsvStart(batch.Text, index, key, error);
                for (var i = 0; i < _outputs.Length; i++)
                {
                    var columns = _flattened[i] < 0 ? 1 : _flattened[i];
                    for (var column = 0; column < columns; column++)
                    {
                        batch.Text.WriteByte((byte)',');
                    }
                }

                batch.Text.Write(Newline);
                break;
            case Jsonl:
                using (var json = new Utf8JsonWriter(batch.Text, JsonOptions))
                {
                    json.WriteStartObject();
                    json.WriteNumber("index"u8, index);
                    json.WriteString("key"u8, key);
                    json.WriteString("error"u8, error);
                    json.WriteEndObject();
                }

                batch.Text.Write(Newline);
                break;
        }
    }

    /// <summary>
    /// The tensor's values as a JSON array, in UTF-8, in this thread's buffer: valid until the thread's next call. The
    /// writer and its buffer are kept for the next row.
    /// </summary>
    private static ReadOnlySpan<byte> JsonArray(InferenceTensor tensor)
    {
        var buffer = _jsonBuffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        var json = _json ??= new Utf8JsonWriter(buffer, JsonOptions);
        json.Reset(buffer);
        JsonTensorDataWriter.Write(json, tensor);
        json.Flush();
        return buffer.WrittenSpan;
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8; short text goes through the stack.</summary>
    private static void WriteUtf8(MemoryStream stream, string text)
    {
        const int StackBytes = 256;
        if (text.Length > StackBytes / 3)
        {
            stream.Write(Encoding.UTF8.GetBytes(text));
            return;
        }

        Span<byte> utf8 = stackalloc byte[StackBytes];
        stream.Write(utf8[..Encoding.UTF8.GetBytes(text, utf8)]);
    }

    /// <summary>A shape as text (<c>[1,8]</c>), in UTF-8; the rows of a job mostly share one, so the last one is reused.</summary>
    private static byte[] ShapeText(long[] shape)
    {
        if (_lastShape is { } last && last.Shape.AsSpan().SequenceEqual(shape))
        {
            return last.Text;
        }

        var text = Encoding.UTF8.GetBytes(InferenceTensor.FormatShape(shape));
        _lastShape = (shape.ToArray(), text);
        return text;
    }

    private static void WriteCsvStart(MemoryStream text, long index, string key, string? error)
    {
        Span<byte> digits = stackalloc byte[24];
        index.TryFormat(digits, out var written, default, CultureInfo.InvariantCulture);
        text.Write(digits[..written]);
        text.WriteByte((byte)',');
        WriteUtf8(text, CsvField(key));
        text.WriteByte((byte)',');
        if (error is not null)
        {
            WriteUtf8(text, CsvField(error));
        }
    }

    /// <summary>
    /// Writes an output's values as CSV fields: one per element when the row has the <paramref name="flattened"/> elements
    /// the header promised, else its JSON array in the output's first column (the rest empty), so columns stay aligned.
    /// Values are written as JSON writes them (shortest round-trip numbers, true/false, strings).
    /// </summary>
    private static void WriteCsvValues(MemoryStream text, InferenceTensor output, int flattened)
    {
        var array = JsonArray(output);
        if (flattened < 0 || output.ElementCount != flattened)
        {
            text.WriteByte((byte)',');
            text.Write(Encoding.UTF8.GetBytes(CsvField(Encoding.UTF8.GetString(array))));
            for (var column = 1; column < Math.Max(flattened, 1); column++)
            {
                text.WriteByte((byte)',');
            }

            return;
        }

        var reader = new Utf8JsonReader(array);
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.Number:
                    text.WriteByte((byte)',');
                    text.Write(reader.ValueSpan);
                    break;
                case JsonTokenType.True:
                    text.Write(",true"u8);
                    break;
                case JsonTokenType.False:
                    text.Write(",false"u8);
                    break;
                case JsonTokenType.String:
                    text.WriteByte((byte)',');
                    WriteUtf8(text, CsvField(reader.GetString()!));
                    break;
            }
        }
    }

    /// <summary>A CSV field as RFC 4180 writes it: quoted, with quotes doubled, when it holds a comma, quote or line break.</summary>
    private static string CsvField(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
}
