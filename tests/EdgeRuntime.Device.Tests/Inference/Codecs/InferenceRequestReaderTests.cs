using System.Buffers.Binary;
using System.Text;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Codecs;

namespace EdgeRuntime.Device.Tests.Inference.Codecs;

public sealed class InferenceRequestReaderTests
{
    // Datatype, shape, JSON data, and the little-endian bytes the binary extension would carry for it.
    private static readonly object[] Encodings =
    [
        new object[] { "BOOL", "[3]", "[true,false,1]", "010001" },
        new object[] { "UINT8", "[2]", "[0,255]", "00FF" },
        new object[] { "UINT16", "[2]", "[1,65535]", "0100FFFF" },
        new object[] { "UINT32", "[2]", "[1,4294967295]", "01000000FFFFFFFF" },
        new object[] { "UINT64", "[2]", "[0,18446744073709551615]", "0000000000000000FFFFFFFFFFFFFFFF" },
        new object[] { "INT8", "[2]", "[-128,127]", "807F" },
        new object[] { "INT16", "[2]", "[-32768,32767]", "0080FF7F" },
        new object[] { "INT32", "[2]", "[-2,2147483647]", "FEFFFFFFFFFFFF7F" },
        new object[] { "INT64", "[2]", "[-9223372036854775808,9223372036854775807]", "0000000000000080FFFFFFFFFFFFFF7F" },
        new object[] { "FP16", "[4]", "[0.5,-2,65504,\"Infinity\"]", "003800C0FF7B007C" },
        new object[] { "BF16", "[3]", "[1,-2,\"-Infinity\"]", "803F00C080FF" },
        new object[] { "FP32", "[2]", "[1.5,\"Infinity\"]", "0000C03F0000807F" },
        new object[] { "FP64", "[2]", "[-2.5,\"-Infinity\"]", "00000000000004C0000000000000F0FF" },
        new object[] { "BYTES", "[3]", "[\"ab\",\"\",\"é\"]", "020000006162" + "00000000" + "02000000C3A9" },
        new object[] { "INT32", "[2,0]", "[]", "" },
    ];

    [TestCaseSource(nameof(Encodings))]
    public void Read_JsonData_StoresBinaryExtensionBytes(string datatype, string shape, string data, string expectedHex)
    {
        using var request = InferenceRequestReader.Read(RequestBodies.Json(RequestBodies.SingleInput(datatype, shape, data)), null);

        Assert.That(Convert.ToHexString(request.Inputs[0].Data.Span), Is.EqualTo(expectedHex));
    }

    [TestCaseSource(nameof(Encodings))]
    public void Read_BinaryData_GivesSameBytesAsJson(string datatype, string shape, string data, string expectedHex)
    {
        using var fromJson = InferenceRequestReader.Read(RequestBodies.Json(RequestBodies.SingleInput(datatype, shape, data)), null);
        var bytes = Convert.FromHexString(expectedHex);
        var (body, headerLength) = RequestBodies.Binary(RequestBodies.SingleBinaryInput(datatype, shape, bytes.Length), bytes);

        using var fromBinary = InferenceRequestReader.Read(body, headerLength);

        Assert.That(fromBinary.Inputs[0].Data.ToArray(), Is.EqualTo(fromJson.Inputs[0].Data.ToArray()));
        Assert.That(fromBinary.Inputs[0].DataType, Is.EqualTo(fromJson.Inputs[0].DataType));
        Assert.That(fromBinary.Inputs[0].Shape, Is.EqualTo(fromJson.Inputs[0].Shape));
    }

    [Test]
    public void Read_FloatSpecialStrings_GiveNaNAndInfinities()
    {
        var json = RequestBodies.SingleInput("FP16", "[3]", "[\"NaN\",\"Infinity\",\"-Infinity\"]");

        using var request = InferenceRequestReader.Read(RequestBodies.Json(json), null);

        var data = request.Inputs[0].Data.Span;
        Assert.That(Half.IsNaN(BinaryPrimitives.ReadHalfLittleEndian(data)), Is.True);
        Assert.That(BinaryPrimitives.ReadHalfLittleEndian(data[2..]), Is.EqualTo(Half.PositiveInfinity));
        Assert.That(BinaryPrimitives.ReadHalfLittleEndian(data[4..]), Is.EqualTo(Half.NegativeInfinity));
    }

    [Test]
    public void Read_IntegersWithFractionOrExponent_AcceptsWholeValues()
    {
        using var request = InferenceRequestReader.Read(RequestBodies.Json(RequestBodies.SingleInput("INT32", "[2]", "[1.0,2e3]")), null);

        Assert.That(Convert.ToHexString(request.Inputs[0].Data.Span), Is.EqualTo("01000000D0070000"));
    }

    [Test]
    public void Read_EscapedBytesString_StoresUnescapedUtf8()
    {
        using var request = InferenceRequestReader.Read(RequestBodies.Json(RequestBodies.SingleInput("BYTES", "[1]", "[\"a\\\"\\u00e9\"]")), null);

        Assert.That(Convert.ToHexString(request.Inputs[0].Data.Span), Is.EqualTo("0400000061" + "22C3A9"));
    }

    [Test]
    public void Read_NestedData_GivesSameBytesAsFlat()
    {
        using var flat = InferenceRequestReader.Read(RequestBodies.Json(RequestBodies.SingleInput("FP32", "[2,3]", "[1,2,3,4,5,6]")), null);
        using var nested = InferenceRequestReader.Read(RequestBodies.Json(RequestBodies.SingleInput("FP32", "[2,3]", "[[1,2,3],[4,5,6]]")), null);
        using var deeper = InferenceRequestReader.Read(RequestBodies.Json(RequestBodies.SingleInput("FP32", "[2,3]", "[[[1],[2],[3]],[[4],[5],[6]]]")), null);

        Assert.That(nested.Inputs[0].Data.ToArray(), Is.EqualTo(flat.Inputs[0].Data.ToArray()));
        Assert.That(deeper.Inputs[0].Data.ToArray(), Is.EqualTo(flat.Inputs[0].Data.ToArray()));
    }

    [Test]
    public void Read_DataBeforeDatatypeAndShape_GivesSameBytes()
    {
        var json = """{"inputs":[{"data":[[1,2],[3,4]],"name":"x","shape":[2,2],"datatype":"INT16"}]}""";

        using var request = InferenceRequestReader.Read(RequestBodies.Json(json), null);

        Assert.That(Convert.ToHexString(request.Inputs[0].Data.Span), Is.EqualTo("0100020003000400"));
    }

    [Test]
    public void Read_SpecJsonExampleWithThreeBools_ParsesAsSpecSays()
    {
        // The spec's example, with the three BOOL elements its shape [3] asks for.
        var json = """
            {
              "id" : "42",
              "inputs" : [
                { "name" : "input0", "shape" : [ 2, 2 ], "datatype" : "UINT32", "data" : [ 1, 2, 3, 4 ] },
                { "name" : "input1", "shape" : [ 3 ], "datatype" : "BOOL", "data" : [ true, false, true ] }
              ],
              "outputs" : [ { "name" : "output0" } ]
            }
            """;

        using var request = InferenceRequestReader.Read(RequestBodies.Json(json), null);

        Assert.That(request.Id, Is.EqualTo("42"));
        Assert.That(request.Inputs.Select(i => i.Name), Is.EqualTo(new[] { "input0", "input1" }));
        Assert.That(request.Inputs[0].DataType, Is.EqualTo(TensorDataType.UInt32));
        Assert.That(request.Inputs[0].Shape, Is.EqualTo(new long[] { 2, 2 }));
        Assert.That(Convert.ToHexString(request.Inputs[0].Data.Span), Is.EqualTo("01000000020000000300000004000000"));
        Assert.That(request.Inputs[1].DataType, Is.EqualTo(TensorDataType.Bool));
        Assert.That(Convert.ToHexString(request.Inputs[1].Data.Span), Is.EqualTo("010001"));
        Assert.That(request.Outputs!.Single(), Is.EqualTo(new RequestedOutput("output0")));
        Assert.That(request.WantsBinary("output0"), Is.False);
    }

    [Test]
    public void Read_SpecJsonExampleAsPrinted_RejectsOneBoolForShapeThree()
    {
        // As printed, the spec's example gives one BOOL for shape [3]; the element count must match the shape.
        var json = """
            {"id":"42","inputs":[
              {"name":"input0","shape":[2,2],"datatype":"UINT32","data":[1,2,3,4]},
              {"name":"input1","shape":[3],"datatype":"BOOL","data":[true]}],
             "outputs":[{"name":"output0"}]}
            """;

        AssertBadRequest(RequestBodies.Json(json), null, "input 'input1': data has 1 elements but shape [3] needs 3");
    }

    [Test]
    public void Read_SpecBinaryExample_SlicesTheSixteenAndThreeBytes()
    {
        var json = """
            {
              "model_name" : "mymodel",
              "inputs" : [
                { "name" : "input0", "shape" : [ 2, 2 ], "datatype" : "UINT32", "parameters" : { "binary_data_size" : 16 } },
                { "name" : "input1", "shape" : [ 3 ], "datatype" : "BOOL", "parameters" : { "binary_data_size" : 3 } }
              ],
              "outputs" : [ { "name" : "output0", "parameters" : { "binary_data" : true } } ]
            }
            """;
        var input0 = Convert.FromHexString("01000000020000000300000004000000");
        var input1 = new byte[] { 1, 0, 1 };
        var (body, headerLength) = RequestBodies.Binary(json, input0, input1);
        var owner = new TrackingOwner();

        var request = InferenceRequestReader.Read(body, headerLength, owner);

        Assert.That(request.Inputs[0].Data.ToArray(), Is.EqualTo(input0));
        Assert.That(request.Inputs[1].Data.ToArray(), Is.EqualTo(input1));
        Assert.That(request.Inputs[0].Shape, Is.EqualTo(new long[] { 2, 2 }));
        Assert.That(request.WantsBinary("output0"), Is.True);
        Assert.That(request.BinaryDataOutput, Is.False);
        Assert.That(owner.Disposed, Is.False);
        request.Dispose();
        Assert.That(owner.Disposed, Is.True);
    }

    [Test]
    public void Read_BinaryInput_IsSliceOfBodyWithoutCopy()
    {
        var (body, headerLength) = RequestBodies.Binary(RequestBodies.SingleBinaryInput("UINT8", "[2]", 2), [7, 9]);

        using var request = InferenceRequestReader.Read(body, headerLength);
        body[headerLength] = 8;

        Assert.That(request.Inputs[0].Data.Span[0], Is.EqualTo(8));
    }

    [Test]
    public void Read_BinaryAndJsonInputsMixed_TakesBinaryBytesInInputOrder()
    {
        var json = """
            {"inputs":[
              {"name":"a","datatype":"INT8","shape":[2],"parameters":{"binary_data_size":2}},
              {"name":"b","datatype":"INT8","shape":[1],"data":[5]},
              {"name":"c","datatype":"BYTES","shape":[1],"parameters":{"binary_data_size":7}}]}
            """;
        var (body, headerLength) = RequestBodies.Binary(json, [1, 2], [3, 0, 0, 0, (byte)'x', (byte)'y', (byte)'z']);

        using var request = InferenceRequestReader.Read(body, headerLength);

        Assert.That(request.Inputs[0].Data.ToArray(), Is.EqualTo(new byte[] { 1, 2 }));
        Assert.That(request.Inputs[1].Data.ToArray(), Is.EqualTo(new byte[] { 5 }));
        Assert.That(Encoding.UTF8.GetString(request.Inputs[2].Data.Span[4..]), Is.EqualTo("xyz"));
    }

    [Test]
    public void Read_Parameters_KeepsAllButBinaryExtensionOnes()
    {
        var json = """
            {"id":"r1","parameters":{"binary_data_output":true,"priority":3,"ratio":0.5,"tag":"t","flag":false},
             "inputs":[{"name":"x","datatype":"INT32","shape":[1],"data":[1],"parameters":{"note":"n"}}],
             "outputs":[{"name":"y","parameters":{"binary_data":false,"classification":2}},{"name":"z"}]}
            """;

        using var request = InferenceRequestReader.Read(RequestBodies.Json(json), null);

        Assert.That(request.BinaryDataOutput, Is.True);
        Assert.That(request.Parameters!.Keys, Is.EquivalentTo(new[] { "priority", "ratio", "tag", "flag" }));
        Assert.That(request.Parameters["priority"], Is.EqualTo(ParameterValue.FromInteger(3)));
        Assert.That(request.Parameters["ratio"], Is.EqualTo(ParameterValue.FromNumber(0.5)));
        Assert.That(request.Parameters["tag"], Is.EqualTo(ParameterValue.FromString("t")));
        Assert.That(request.Parameters["flag"], Is.EqualTo(ParameterValue.FromBoolean(false)));
        Assert.That(request.Outputs![0].Binary, Is.False);
        Assert.That(request.Outputs[0].Parameters!.Keys, Is.EqualTo(new[] { "classification" }));
        Assert.That(request.WantsBinary("y"), Is.False);
        Assert.That(request.WantsBinary("z"), Is.True);
    }

    [Test]
    public void Read_UnknownTopLevelProperties_AreSkipped()
    {
        var json = """{"model_name":"m","model_version":"1","extra":{"a":[1,{"b":null}]},"inputs":[{"name":"x","datatype":"INT8","shape":[1],"data":[1],"other":[[1]]}]}""";

        using var request = InferenceRequestReader.Read(RequestBodies.Json(json), null);

        Assert.That(request.Inputs.Single().Name, Is.EqualTo("x"));
        Assert.That(request.Outputs, Is.Null);
    }

    [Test]
    public void ReadRaw_FixedSizeInput_DeducesDynamicDimension()
    {
        var body = new byte[32];
        BinaryPrimitives.WriteSingleLittleEndian(body, 1.5f);
        var owner = new TrackingOwner();

        var request = InferenceRequestReader.ReadRaw(body, new TensorMetadata("x", TensorDataType.Fp32, [-1, 4]), owner);

        Assert.That(request.Inputs.Single().Shape, Is.EqualTo(new long[] { 2, 4 }));
        Assert.That(request.Inputs[0].Data.ToArray(), Is.EqualTo(body));
        Assert.That(request.BinaryDataOutput, Is.True);
        Assert.That(request.WantsBinary("anything"), Is.True);
        request.Dispose();
        Assert.That(owner.Disposed, Is.True);
    }

    [Test]
    public void ReadRaw_StaticShapeOfRightSize_KeepsShape()
    {
        using var request = InferenceRequestReader.ReadRaw(new byte[16], new TensorMetadata("x", TensorDataType.UInt32, [2, 2]));

        Assert.That(request.Inputs[0].Shape, Is.EqualTo(new long[] { 2, 2 }));
    }

    [Test]
    public void ReadRaw_BytesInput_StoresBodyAsOneElement()
    {
        using var request = InferenceRequestReader.ReadRaw("hello"u8.ToArray(), new TensorMetadata("x", TensorDataType.Bytes, [1]));

        Assert.That(request.Inputs[0].Shape, Is.EqualTo(new long[] { 1 }));
        Assert.That(Convert.ToHexString(request.Inputs[0].Data.Span), Is.EqualTo("05000000" + Convert.ToHexString("hello"u8)));
    }

    [TestCase(TensorDataType.Fp32, new long[] { -1, -1 }, 16, "more than one dynamic dimension")]
    [TestCase(TensorDataType.Fp32, new long[] { -1, 4 }, 18, "not a whole number of FP32 elements")]
    [TestCase(TensorDataType.Fp32, new long[] { -1, 3 }, 16, "4 FP32 elements, which do not fit shape [-1,3]")]
    [TestCase(TensorDataType.Int64, new long[] { 2, 2 }, 16, "2 INT64 elements, which do not fit shape [2,2]")]
    [TestCase(TensorDataType.Bytes, new long[] { 2 }, 5, "BYTES input only of shape [1], not [2]")]
    public void ReadRaw_BodyThatDoesNotFit_ThrowsBadRequest(TensorDataType type, long[] shape, int size, string expected)
    {
        var ex = Assert.Throws<InferenceException>(() => InferenceRequestReader.ReadRaw(new byte[size], new TensorMetadata("x", type, shape)));

        Assert.That(ex!.Kind, Is.EqualTo(InferenceErrorKind.BadRequest));
        Assert.That(ex.Message, Does.Contain("input 'x'").And.Contain(expected));
    }

    private static readonly object[] JsonErrors =
    [
        new object[] { "{\"inputs\":[{\"name\":\"x\",,}]}", "malformed JSON at byte 23: ',' is an invalid start of a property name" },
        new object[] { "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"INT8\"", "malformed JSON" },
        new object[] { "{\"inputs\":[", "malformed JSON" },
        new object[] { "[1,2]", "the request must be a JSON object, not an array" },
        new object[] { "{\"inputs\":[]} x", "malformed JSON at byte 14" },
        new object[] { "{\"id\":\"a\"}", "the request has no 'inputs'" },
        new object[] { "{\"id\":5,\"inputs\":[]}", "'id' must be a string, not a number" },
        new object[] { "{\"inputs\":[{\"datatype\":\"INT8\",\"shape\":[1],\"data\":[1]}]}", "input 0: missing 'name'" },
        new object[] { "{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"data\":[1]}]}", "input 'x': missing 'datatype'" },
        new object[] { "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"INT8\",\"data\":[1]}]}", "input 'x': missing 'shape'" },
        new object[] { "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"INT8\",\"shape\":[1]}]}", "input 'x': missing 'data'" },
        new object[] { RequestBodies.SingleInput("FP33", "[1]", "[1]"), "input 'x': datatype 'FP33' is not one of BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, FP32, FP64, BF16, BYTES" },
        new object[] { RequestBodies.SingleInput("INT8", "[2,-1]", "[1]"), "input 'x': shape dimension 1 is -1; dimensions must be >= 0" },
        new object[] { RequestBodies.SingleInput("INT8", "[1.5]", "[1]"), "input 'x': shape dimension 0 (1.5) is not an integer" },
        new object[] { RequestBodies.SingleInput("INT8", "[4294967296,4294967296]", "[1]"), "input 'x': shape [4294967296,4294967296] has too many elements" },
        new object[] { RequestBodies.SingleInput("INT8", "[2,3]", "[1,2,3,4,5]"), "input 'x': data has 5 elements but shape [2,3] needs 6" },
        new object[] { RequestBodies.SingleInput("INT8", "[2,3]", "[[1,2,3],[4,5,6],[7]]"), "input 'x': data has 7 elements but shape [2,3] needs 6" },
        new object[] { RequestBodies.SingleInput("INT8", "[1000000000]", "[1,2]"), "input 'x': data has 2 elements but shape [1000000000] needs 1000000000" },
        new object[] { RequestBodies.SingleInput("INT8", "[1]", "5"), "input 'x': 'data' must be an array, not a number" },
        new object[] { RequestBodies.SingleInput("INT32", "[2]", "[1,\"2\"]"), "input 'x': element 1 is a string; INT32 needs an integer" },
        new object[] { RequestBodies.SingleInput("INT32", "[2]", "[1,null]"), "input 'x': element 1 is null; INT32 needs an integer" },
        new object[] { RequestBodies.SingleInput("INT32", "[2]", "[1,{}]"), "input 'x': element 1 is an object; INT32 needs an integer" },
        new object[] { RequestBodies.SingleInput("BOOL", "[1]", "[\"true\"]"), "input 'x': element 0 is a string; BOOL needs true, false, 0 or 1" },
        new object[] { RequestBodies.SingleInput("BOOL", "[1]", "[2]"), "input 'x': element 0 (2) is not a boolean" },
        new object[] { RequestBodies.SingleInput("BYTES", "[1]", "[1]"), "input 'x': element 0 is a number; BYTES needs a string" },
        new object[] { RequestBodies.SingleInput("FP32", "[1]", "[\"nan\"]"), "input 'x': element 0 is a string other than \"NaN\", \"Infinity\" or \"-Infinity\"" },
        new object[] { RequestBodies.SingleInput("FP32", "[1]", "[true]"), "input 'x': element 0 is a boolean; FP32 needs a number" },
        new object[] { RequestBodies.SingleInput("INT32", "[1]", "[1.5]"), "input 'x': element 0 (1.5) is not an integer; INT32 needs an integer" },
        new object[] { RequestBodies.SingleInput("UINT8", "[2]", "[1,256]"), "input 'x': element 1 (256) is out of range for UINT8" },
        new object[] { RequestBodies.SingleInput("UINT8", "[1]", "[-1]"), "input 'x': element 0 (-1) is out of range for UINT8" },
        new object[] { RequestBodies.SingleInput("INT8", "[1]", "[-129]"), "input 'x': element 0 (-129) is out of range for INT8" },
        new object[] { RequestBodies.SingleInput("INT64", "[1]", "[9223372036854775808]"), "input 'x': element 0 (9223372036854775808) is out of range for INT64" },
        new object[] { RequestBodies.SingleInput("UINT64", "[1]", "[18446744073709551616]"), "input 'x': element 0 (18446744073709551616) is out of range for UINT64" },
        new object[] { RequestBodies.SingleInput("UINT64", "[1]", "[-1]"), "input 'x': element 0 (-1) is out of range for UINT64" },
        new object[] { RequestBodies.SingleInput("INT64", "[1]", "[1e300]"), "input 'x': element 0 (1e300) is out of range for INT64" },
        new object[] { RequestBodies.SingleInput("FP16", "[1]", "[65520]"), "input 'x': element 0 (65520) is out of range for FP16" },
        new object[] { RequestBodies.SingleInput("FP32", "[1]", "[1e39]"), "input 'x': element 0 (1e39) is out of range for FP32" },
        new object[] { RequestBodies.SingleInput("FP64", "[1]", "[1e400]"), "input 'x': element 0 (1e400) is out of range for FP64" },
        new object[] { RequestBodies.SingleInput("BF16", "[1]", "[1e39]"), "input 'x': element 0 (1e39) is out of range for BF16" },
        new object[] { "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"INT8\",\"shape\":[1],\"data\":[1]},{\"name\":\"x\",\"datatype\":\"INT8\",\"shape\":[1],\"data\":[1]}]}", "input 'x' is given more than once" },
        new object[] { "{\"parameters\":{\"binary_data_output\":\"yes\"},\"inputs\":[]}", "request parameter 'binary_data_output' must be a boolean" },
        new object[] { "{\"parameters\":{\"p\":[1]},\"inputs\":[]}", "request: parameter 'p' must be a string, number or boolean, not an array" },
        new object[] { "{\"inputs\":[],\"outputs\":[{\"parameters\":{\"binary_data\":1}}]}", "output 0: parameter 'binary_data' must be a boolean" },
        new object[] { "{\"inputs\":[],\"outputs\":[{}]}", "output 0: missing 'name'" },
        new object[] { RequestBodies.SingleBinaryInput("INT8", "[1]", 1), "input 'x': has a binary_data_size parameter but the request has no Inference-Header-Content-Length header" },
        new object[] { RequestBodies.SingleBinaryInput("INT8", "[1]", -1), "input 'x': binary_data_size must be a non-negative integer, not -1" },
        new object[] { "", "the request body is empty" },
    ];

    [TestCaseSource(nameof(JsonErrors))]
    public void Read_InvalidJsonRequest_ThrowsBadRequestNamingProblem(string json, string expected)
    {
        AssertBadRequest(RequestBodies.Json(json), null, expected);
    }

    [Test]
    public void Read_HeaderLengthLargerThanBody_ThrowsBadRequest()
    {
        var body = RequestBodies.Json(RequestBodies.SingleInput("INT8", "[1]", "[1]"));

        AssertBadRequest(body, body.Length + 1, $"Inference-Header-Content-Length {body.Length + 1} is larger than the {body.Length}-byte body");
    }

    [Test]
    public void Read_NegativeHeaderLength_ThrowsBadRequest()
    {
        AssertBadRequest(RequestBodies.Json("{}"), -1, "Inference-Header-Content-Length -1 is negative");
    }

    [Test]
    public void Read_HeaderLengthZero_ThrowsBadRequest()
    {
        AssertBadRequest(new byte[4], 0, "Inference-Header-Content-Length is 0");
    }

    [Test]
    public void Read_HeaderLengthCuttingTheJson_ThrowsMalformedJson()
    {
        var body = RequestBodies.Json(RequestBodies.SingleInput("INT8", "[1]", "[1]"));

        AssertBadRequest(body, body.Length - 3, "malformed JSON");
    }

    [Test]
    public void Read_BinarySizesShortOfBody_ThrowsBadRequest()
    {
        var (body, headerLength) = RequestBodies.Binary(RequestBodies.SingleBinaryInput("INT8", "[2]", 2), [1, 2, 3]);

        AssertBadRequest(body, headerLength, "the binary_data_size parameters add up to 2 bytes but 3 bytes follow the JSON header");
    }

    [Test]
    public void Read_BinarySizesPastBody_ThrowsBadRequest()
    {
        var (body, headerLength) = RequestBodies.Binary(RequestBodies.SingleBinaryInput("INT8", "[4]", 4), [1, 2, 3]);

        AssertBadRequest(body, headerLength, "input 'x': binary_data_size 4 runs past the end of the body: 3 bytes follow the JSON header");
    }

    [Test]
    public void Read_TrailingBytesWithoutBinaryInputs_ThrowsBadRequest()
    {
        var (body, headerLength) = RequestBodies.Binary(RequestBodies.SingleInput("INT8", "[1]", "[1]"), [1, 2]);

        AssertBadRequest(body, headerLength, "2 bytes follow the JSON header but no input has a binary_data_size parameter");
    }

    [Test]
    public void Read_BinarySizeNotMatchingShape_ThrowsBadRequest()
    {
        var (body, headerLength) = RequestBodies.Binary(RequestBodies.SingleBinaryInput("UINT32", "[2,2]", 15), new byte[15]);

        AssertBadRequest(body, headerLength, "input 'x': binary_data_size is 15 but shape [2,2] of UINT32 needs 16 bytes");
    }

    [Test]
    public void Read_BytesLengthPrefixPastTensor_ThrowsBadRequest()
    {
        byte[] data = [2, 0, 0, 0, (byte)'a', (byte)'b', 9, 0, 0, 0, (byte)'c'];
        var (body, headerLength) = RequestBodies.Binary(RequestBodies.SingleBinaryInput("BYTES", "[2]", data.Length), data);

        AssertBadRequest(body, headerLength, "input 'x': BYTES element 1 has length 9, which runs past the end of its 11-byte binary data");
    }

    [Test]
    public void Read_BytesElementsShortOfSize_ThrowsBadRequest()
    {
        byte[] data = [1, 0, 0, 0, (byte)'a', (byte)'z'];
        var (body, headerLength) = RequestBodies.Binary(RequestBodies.SingleBinaryInput("BYTES", "[1]", data.Length), data);

        AssertBadRequest(body, headerLength, "input 'x': binary data has 1 bytes left over after the 1 BYTES elements of shape [1]");
    }

    [Test]
    public void Read_BytesMissingLengthPrefix_ThrowsBadRequest()
    {
        byte[] data = [0, 0, 0, 0, 1, 0];
        var (body, headerLength) = RequestBodies.Binary(RequestBodies.SingleBinaryInput("BYTES", "[2]", data.Length), data);

        AssertBadRequest(body, headerLength, "input 'x': BYTES element 1 has no room for its 4-byte length");
    }

    [Test]
    public void Read_BinaryBoolOtherThanZeroOrOne_ThrowsBadRequest()
    {
        var (body, headerLength) = RequestBodies.Binary(RequestBodies.SingleBinaryInput("BOOL", "[2]", 2), [1, 5]);

        AssertBadRequest(body, headerLength, "input 'x': BOOL element 1 is byte 5; it must be 0 or 1");
    }

    [Test]
    public void Read_BinaryInputWithJsonDataToo_ThrowsBadRequest()
    {
        var json = """{"inputs":[{"name":"x","datatype":"INT8","shape":[1],"data":[1],"parameters":{"binary_data_size":1}}]}""";
        var (body, headerLength) = RequestBodies.Binary(json, [1]);

        AssertBadRequest(body, headerLength, "input 'x': has both 'data' and a binary_data_size parameter");
    }

    [Test]
    public void Read_RandomMutationsOfValidRequest_ThrowOnlyInferenceException()
    {
        var json = """
            {"id":"fuzz","parameters":{"binary_data_output":false,"p":1.5},
             "inputs":[
              {"name":"a","datatype":"FP32","shape":[2,2],"data":[[1.5,-2],["NaN",3e2]]},
              {"name":"b","datatype":"BYTES","shape":[2],"data":["x\u00e9","\ud83d\ude00"]},
              {"name":"c","datatype":"UINT64","shape":[1],"data":[18446744073709551615]},
              {"name":"d","datatype":"BYTES","shape":[2],"parameters":{"binary_data_size":11}},
              {"name":"e","datatype":"FP16","shape":[3],"parameters":{"binary_data_size":6}},
              {"name":"f","datatype":"BOOL","shape":[2],"data":[true,0]}],
             "outputs":[{"name":"y","parameters":{"binary_data":true}}]}
            """;
        var (valid, validHeader) = RequestBodies.Binary(json, [2, 0, 0, 0, 1, 2, 1, 0, 0, 0, 3], [0, 0x38, 0, 0xC0, 0xFF, 0x7B]);
        InferenceRequestReader.Read(valid, validHeader).Dispose();
        var random = new Random(20240601);
        var interesting = "{}[]\",:-+.0123456789eE \\ntfu"u8.ToArray();
        var accepted = 0;

        for (var i = 0; i < 2000; i++)
        {
            var body = valid.ToList();
            var headerLength = validHeader;
            var mutations = random.Next(1, 4);
            for (var m = 0; m < mutations && body.Count > 0; m++)
            {
                var at = random.Next(body.Count);
                switch (random.Next(6))
                {
                    case 0:
                        body[at] = (byte)random.Next(256);
                        break;
                    case 1:
                        body[at] = interesting[random.Next(interesting.Length)];
                        break;
                    case 2:
                        body.RemoveRange(at, Math.Min(random.Next(1, 8), body.Count - at));
                        headerLength = at < headerLength ? headerLength - 1 : headerLength;
                        break;
                    case 3:
                        body.Insert(at, interesting[random.Next(interesting.Length)]);
                        headerLength = at < headerLength ? headerLength + 1 : headerLength;
                        break;
                    case 4:
                        body.RemoveRange(at, body.Count - at);
                        break;
                    default:
                        headerLength += random.Next(-3, 4);
                        break;
                }
            }

            var mutated = body.ToArray();
            int? header = random.Next(10) == 0 ? null : headerLength;
            try
            {
                InferenceRequestReader.Read(mutated, header).Dispose();
                accepted++;
            }
            catch (InferenceException ex)
            {
                Assert.That(ex.Kind, Is.EqualTo(InferenceErrorKind.BadRequest), ex.Message);
                Assert.That(ex.Message, Is.Not.Empty);
            }
            catch (Exception ex)
            {
                Assert.Fail($"mutation {i} threw {ex.GetType().Name}: {ex.Message}\n{Convert.ToHexString(mutated)} header {header}");
            }
        }

        // Some mutations (inside strings or numbers) stay valid; most must not.
        Assert.That(accepted, Is.LessThan(2000));
    }

    private static void AssertBadRequest(byte[] body, int? headerLength, string expected)
    {
        var ex = Assert.Throws<InferenceException>(() => InferenceRequestReader.Read(body, headerLength).Dispose());

        Assert.That(ex!.Kind, Is.EqualTo(InferenceErrorKind.BadRequest));
        Assert.That(ex.Message, Does.Contain(expected));
    }

    private sealed class TrackingOwner : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }
}
