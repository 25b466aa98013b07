using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Codecs;

namespace EdgeRuntime.Device.Tests.Inference.Codecs;

public sealed class InferenceResponseWriterTests
{
    // Datatype, shape and JSON data; a round trip must give back the same JSON values.
    private static readonly object[] JsonRoundTrips =
    [
        new object[] { "BOOL", "[2,2]", "[true,false,false,true]" },
        new object[] { "UINT8", "[3]", "[0,1,255]" },
        new object[] { "UINT16", "[2]", "[0,65535]" },
        new object[] { "UINT32", "[2]", "[0,4294967295]" },
        new object[] { "UINT64", "[2]", "[0,18446744073709551615]" },
        new object[] { "INT8", "[3]", "[-128,0,127]" },
        new object[] { "INT16", "[2]", "[-32768,32767]" },
        new object[] { "INT32", "[2]", "[-2147483648,2147483647]" },
        new object[] { "INT64", "[3]", "[-9223372036854775808,0,9223372036854775807]" },
        new object[] { "FP16", "[10]", "[0.5,-2,65504,\"NaN\",\"Infinity\",\"-Infinity\",0.1,-0,6E-08,0.00012]" },
        new object[] { "BF16", "[10]", "[0.5,-2,1,\"NaN\",\"Infinity\",\"-Infinity\",0.1,3.39E+38,-0,256]" },
        new object[] { "FP32", "[9]", "[0.1,-1.5,3.4028235E+38,1E-45,\"NaN\",\"Infinity\",\"-Infinity\",16777216,-0]" },
        new object[] { "FP64", "[8]", "[0.1,-2.5,1.7976931348623157E+308,5E-324,\"NaN\",\"Infinity\",\"-Infinity\",0.30000000000000004]" },
        new object[] { "BYTES", "[5]", "[\"hello\",\"\",\"héllo ✓ 日本語\",\"😀\",\"\"]" },
        new object[] { "FP32", "[0]", "[]" },
    ];

    [TestCaseSource(nameof(JsonRoundTrips))]
    public void Write_JsonInputAsJsonOutput_GivesSameValuesBack(string datatype, string shape, string data)
    {
        using var request = InferenceRequestReader.Read(RequestBodies.Json(RequestBodies.SingleInput(datatype, shape, data)), null);
        var output = new ArrayBufferWriter<byte>();

        var headerLength = InferenceResponseWriter.Write(Echo(request), request, output);

        Assert.That(headerLength, Is.Null);
        using var document = JsonDocument.Parse(output.WrittenMemory);
        var tensor = document.RootElement.GetProperty("outputs")[0];
        Assert.That(tensor.GetProperty("datatype").GetString(), Is.EqualTo(datatype));
        Assert.That(tensor.GetProperty("shape").GetRawText(), Is.EqualTo(shape));
        using var expected = JsonDocument.Parse(data);
        Assert.That(
            JsonElement.DeepEquals(tensor.GetProperty("data"), expected.RootElement),
            Is.True,
            $"wrote {tensor.GetProperty("data").GetRawText()}, expected {data}");
        Assert.That(tensor.TryGetProperty("parameters", out _), Is.False);
    }

    [Test]
    public void Write_Fp16Values_WritesExactText()
    {
        using var request = InferenceRequestReader.Read(
            RequestBodies.Json(RequestBodies.SingleInput("FP16", "[7]", "[0.5,-2,65504,\"NaN\",\"Infinity\",\"-Infinity\",0.1]")), null);
        var output = new ArrayBufferWriter<byte>();

        InferenceResponseWriter.Write(Echo(request), request, output);

        using var document = JsonDocument.Parse(output.WrittenMemory);
        Assert.That(
            document.RootElement.GetProperty("outputs")[0].GetProperty("data").GetRawText(),
            Is.EqualTo("[0.5,-2,65504,\"NaN\",\"Infinity\",\"-Infinity\",0.1]"));
    }

    [Test]
    public void Write_UnicodeBytes_WritesUtf8Text()
    {
        using var request = InferenceRequestReader.Read(RequestBodies.Json(RequestBodies.SingleInput("BYTES", "[2]", "[\"héllo ✓ 日本語\",\"\"]")), null);
        var output = new ArrayBufferWriter<byte>();

        InferenceResponseWriter.Write(Echo(request), request, output);

        Assert.That(Encoding.UTF8.GetString(output.WrittenSpan), Does.Contain("\"data\":[\"héllo ✓ 日本語\",\"\"]"));
    }

    [TestCaseSource(nameof(JsonRoundTrips))]
    public void Write_JsonOutputReadBack_GivesSameTensorBytes(string datatype, string shape, string data)
    {
        using var request = InferenceRequestReader.Read(RequestBodies.Json(RequestBodies.SingleInput(datatype, shape, data)), null);
        var output = new ArrayBufferWriter<byte>();
        InferenceResponseWriter.Write(Echo(request), request, output);
        using var document = JsonDocument.Parse(output.WrittenMemory);
        var written = document.RootElement.GetProperty("outputs")[0].GetProperty("data").GetRawText();

        using var again = InferenceRequestReader.Read(RequestBodies.Json(RequestBodies.SingleInput(datatype, shape, written)), null);

        Assert.That(again.Inputs[0].Data.ToArray(), Is.EqualTo(request.Inputs[0].Data.ToArray()));
    }

    [TestCaseSource(nameof(JsonRoundTrips))]
    public void Write_BinaryInputAsBinaryOutput_GivesSameBytesBack(string datatype, string shape, string data)
    {
        using var fromJson = InferenceRequestReader.Read(RequestBodies.Json(RequestBodies.SingleInput(datatype, shape, data)), null);
        var bytes = fromJson.Inputs[0].Data.ToArray();
        var json = RequestBodies.SingleBinaryInput(datatype, shape, bytes.Length)[..^1] + ",\"parameters\":{\"binary_data_output\":true}}";
        var (body, requestHeaderLength) = RequestBodies.Binary(json, bytes);
        using var request = InferenceRequestReader.Read(body, requestHeaderLength);
        var output = new ArrayBufferWriter<byte>();

        var headerLength = InferenceResponseWriter.Write(Echo(request), request, output);

        Assert.That(headerLength, Is.Not.Null);
        var written = output.WrittenSpan;
        Assert.That(written[headerLength!.Value..].ToArray(), Is.EqualTo(bytes));
        using var document = JsonDocument.Parse(output.WrittenMemory[..headerLength.Value]);
        var tensor = document.RootElement.GetProperty("outputs")[0];
        Assert.That(tensor.GetProperty("parameters").GetProperty("binary_data_size").GetInt32(), Is.EqualTo(bytes.Length));
        Assert.That(tensor.TryGetProperty("data", out _), Is.False);
    }

    [Test]
    public void Write_SomeOutputsBinary_AppendsTheirBytesInOutputOrder()
    {
        var json = """
            {"id":"7","parameters":{"binary_data_output":true},
             "inputs":[{"name":"a","datatype":"INT8","shape":[2],"data":[1,2]},
                       {"name":"b","datatype":"INT8","shape":[1],"data":[3]},
                       {"name":"c","datatype":"INT16","shape":[1],"data":[4]}],
             "outputs":[{"name":"a"},{"name":"b","parameters":{"binary_data":false}},{"name":"c"}]}
            """;
        using var request = InferenceRequestReader.Read(RequestBodies.Json(json), null);
        var output = new ArrayBufferWriter<byte>();

        var headerLength = InferenceResponseWriter.Write(Echo(request), request, output)!.Value;

        Assert.That(output.WrittenSpan[headerLength..].ToArray(), Is.EqualTo(new byte[] { 1, 2, 4, 0 }));
        using var document = JsonDocument.Parse(output.WrittenMemory[..headerLength]);
        var outputs = document.RootElement.GetProperty("outputs");
        Assert.That(outputs[0].GetProperty("parameters").GetProperty("binary_data_size").GetInt32(), Is.EqualTo(2));
        Assert.That(outputs[1].GetProperty("data").GetRawText(), Is.EqualTo("[3]"));
        Assert.That(outputs[2].GetProperty("parameters").GetProperty("binary_data_size").GetInt32(), Is.EqualTo(2));
        Assert.That(document.RootElement.GetProperty("id").GetString(), Is.EqualTo("7"));
    }

    [Test]
    public void Write_Envelope_HasModelVersionIdAndParameters()
    {
        using var request = InferenceRequestReader.Read(RequestBodies.Json("""{"id":"abc","inputs":[]}"""), null);
        using var response = new InferenceResponse
        {
            ModelName = "resnet",
            ModelVersion = "3",
            Parameters = new Dictionary<string, ParameterValue>
            {
                ["s"] = ParameterValue.FromString("v"),
                ["b"] = ParameterValue.FromBoolean(true),
                ["i"] = ParameterValue.FromInteger(-4),
                ["n"] = ParameterValue.FromNumber(0.25),
            },
            Outputs = [],
        };
        var output = new ArrayBufferWriter<byte>();

        InferenceResponseWriter.Write(response, request, output);

        Assert.That(
            Encoding.UTF8.GetString(output.WrittenSpan),
            Is.EqualTo("""{"model_name":"resnet","model_version":"3","id":"abc","parameters":{"s":"v","b":true,"i":-4,"n":0.25},"outputs":[]}"""));
    }

    [Test]
    public void Write_NoVersionNoIdNoParameters_LeavesThemOut()
    {
        using var request = InferenceRequestReader.Read(RequestBodies.Json("""{"inputs":[]}"""), null);
        using var response = new InferenceResponse { ModelName = "m", Outputs = [] };
        var output = new ArrayBufferWriter<byte>();

        InferenceResponseWriter.Write(response, request, output);

        Assert.That(Encoding.UTF8.GetString(output.WrittenSpan), Is.EqualTo("""{"model_name":"m","outputs":[]}"""));
    }

    [Test]
    public void Write_BytesElementNotUtf8_WritesBase64()
    {
        var data = new byte[] { 3, 0, 0, 0, 0xFF, 0xFE, 0x41, 1, 0, 0, 0, (byte)'"' };
        using var request = InferenceRequestReader.Read(RequestBodies.Json("""{"inputs":[]}"""), null);
        using var response = new InferenceResponse
        {
            ModelName = "m",
            Outputs = [new InferenceTensor("y", TensorDataType.Bytes, [2], data)],
        };
        var output = new ArrayBufferWriter<byte>();

        InferenceResponseWriter.Write(response, request, output);

        using var document = JsonDocument.Parse(output.WrittenMemory);
        var values = document.RootElement.GetProperty("outputs")[0].GetProperty("data");
        Assert.That(values[0].GetString(), Is.EqualTo(Convert.ToBase64String(new byte[] { 0xFF, 0xFE, 0x41 })));
        Assert.That(values[1].GetString(), Is.EqualTo("\""));
    }

    [Test]
    public void Write_OutputBytesNotMatchingShape_ThrowsInternalBeforeWriting()
    {
        using var request = InferenceRequestReader.Read(RequestBodies.Json("""{"inputs":[]}"""), null);
        using var response = new InferenceResponse
        {
            ModelName = "m",
            Outputs = [new InferenceTensor("y", TensorDataType.Fp32, [2, 3], new byte[20])],
        };
        var output = new ArrayBufferWriter<byte>();

        var ex = Assert.Throws<InferenceException>(() => InferenceResponseWriter.Write(response, request, output));

        Assert.That(ex!.Kind, Is.EqualTo(InferenceErrorKind.Internal));
        Assert.That(ex.Message, Is.EqualTo("output 'y': holds 20 bytes but shape [2,3] of FP32 needs 24"));
        Assert.That(output.WrittenCount, Is.Zero);
    }

    [Test]
    public void Write_RawBinaryRequest_ReturnsEveryOutputBinary()
    {
        var body = new byte[12];
        BinaryPrimitives.WriteSingleLittleEndian(body.AsSpan(4), 2.5f);
        using var request = InferenceRequestReader.ReadRaw(body, new TensorMetadata("x", TensorDataType.Fp32, [-1, 1]));
        var output = new ArrayBufferWriter<byte>();

        var headerLength = InferenceResponseWriter.Write(Echo(request), request, output);

        Assert.That(output.WrittenSpan[headerLength!.Value..].ToArray(), Is.EqualTo(body));
        using var document = JsonDocument.Parse(output.WrittenMemory[..headerLength.Value]);
        Assert.That(document.RootElement.GetProperty("outputs")[0].GetProperty("shape").GetRawText(), Is.EqualTo("[3,1]"));
    }

    [Test]
    public void WriteError_Message_WritesErrorObject()
    {
        var output = new ArrayBufferWriter<byte>();

        InferenceResponseWriter.WriteError("input 'x': data has 5 elements but shape [2,3] needs 6", output);

        using var document = JsonDocument.Parse(output.WrittenMemory);
        Assert.That(document.RootElement.GetProperty("error").GetString(), Is.EqualTo("input 'x': data has 5 elements but shape [2,3] needs 6"));
        Assert.That(document.RootElement.EnumerateObject().Count(), Is.EqualTo(1));
    }

    // A response that hands the request's inputs back as outputs, as an identity model would; the request keeps ownership.
    private static InferenceResponse Echo(InferenceRequest request) => new()
    {
        ModelName = "echo",
        Outputs = request.Inputs.Select(i => new InferenceTensor(i.Name, i.DataType, i.Shape, i.Data)).ToList(),
    };
}
