using System.Buffers.Binary;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Onnx;
using EdgeRuntime.Host.Tests.Infrastructure;

namespace EdgeRuntime.Host.Tests.Api;

/// <summary>The inference API of a real edge-runtime process, over a real loopback listener, with real ONNX Runtime sessions.</summary>
[NonParallelizable]
public sealed class InferEndpointsTests
{
    private string _data = null!;
    private EdgeRuntimeProcess _host = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartHost()
    {
        _data = TestRepository.NewDataDirectory("infer");
        TestRepository.CreateWithSyntheticModels(_data);
        _host = await EdgeRuntimeProcess.StartAsync(_data, ["--EdgeRuntime:Api:MaxRequestBodyBytes", "65536", "--profile", "generic-cpu"]);
        await _host.WaitReadyAsync();
        _client = _host.CreateClient();
    }

    [OneTimeTearDown]
    public async Task StopHost()
    {
        _client.Dispose();
        await _host.DisposeAsync();
        TestRepository.Delete(_data);
    }

    [Test]
    public async Task Infer_FloatModelJson_EqualsIndependentFloatMath()
    {
        float[] input = [1, 2, 3, 4, 4, 3, 2, 1, -2.5f, 0.75f, 9, -16];
        var (status, body) = await Oip.PostJsonAsync(_client, "/v2/models/float_mlp/infer", Oip.Fp32Request("input", [3, 4], input));

        Assert.That(status, Is.EqualTo(200), body?.ToJsonString());
        var output = body!["outputs"]![0]!;
        Assert.That(output["name"]!.GetValue<string>(), Is.EqualTo("probabilities"));
        Assert.That(output["shape"]!.AsArray().Select(d => d!.GetValue<long>()), Is.EqualTo(new long[] { 3, 3 }));
        Assert.That(Oip.Floats(output["data"]), Is.EqualTo(FloatReference(input, 3)).Within(1e-5));
    }

    [Test]
    public async Task Infer_QuantizedDemoModel_WithinQuantizationToleranceOfFloatMath()
    {
        float[] input = [1, 2, 3, 4, 4, 3, 2, 1, 2, 2, 2, 2, 0.3f, -7.1f, 12.5f, 3.3f];
        var (status, body) = await Oip.PostJsonAsync(_client, "/v2/models/demo/infer", Oip.Fp32Request("input", [4, 4], input));

        Assert.That(status, Is.EqualTo(200), body?.ToJsonString());
        var probabilities = Oip.Floats(body!["outputs"]![0]!["data"]);
        Assert.That(probabilities, Is.EqualTo(FloatReference(input, 4)).Within(0.1), "int8 QDQ stays within a few quantization steps of float math");
        Assert.That(probabilities.Take(3).ToArray()[2], Is.GreaterThan(0.9f), "[1,2,3,4] is 'rising'");
        Assert.That(probabilities.Skip(3).Take(3).ToArray()[0], Is.GreaterThan(0.9f), "[4,3,2,1] is 'falling'");
    }

    [Test]
    public async Task Infer_JsonAndBinary_AgreeBitForBit()
    {
        float[] input = [0.1f, -3.7f, 8.25f, 15.875f, -16, 0, 1e-3f, 7];
        var (_, json) = await Oip.PostJsonAsync(_client, "/v2/models/demo/infer", Oip.Fp32Request("input", [2, 4], input));

        var header = new JsonObject
        {
            ["inputs"] = new JsonArray(new JsonObject { ["name"] = "input", ["shape"] = new JsonArray(2, 4), ["datatype"] = "FP32", ["parameters"] = new JsonObject { ["binary_data_size"] = 32 } }),
            ["parameters"] = new JsonObject { ["binary_data_output"] = true },
        };
        var (status, binaryHeader, binary) = await Oip.PostBinaryAsync(_client, "/v2/models/demo/infer", header, [Oip.Fp32Bytes(input)]);

        Assert.That(status, Is.EqualTo(200), binaryHeader?.ToJsonString());
        Assert.That(binaryHeader!["outputs"]![0]!["data"], Is.Null, "a binary output carries no JSON data");
        var fromJson = Oip.Fp32Bytes(Oip.Floats(json!["outputs"]![0]!["data"]));
        Assert.That(binary["probabilities"], Is.EqualTo(fromJson));
    }

    [Test]
    public async Task Infer_BatchOfN_EqualsNSingleCalls()
    {
        const int Rows = 6;
        var input = Enumerable.Range(0, Rows * 4).Select(i => (i * 1.37f % 20) - 10).ToArray();
        var (_, batch) = await Oip.PostJsonAsync(_client, "/v2/models/demo/infer", Oip.Fp32Request("input", [Rows, 4], input));
        var batched = Oip.Floats(batch!["outputs"]![0]!["data"]);

        for (var row = 0; row < Rows; row++)
        {
            var (_, single) = await Oip.PostJsonAsync(_client, "/v2/models/demo/infer", Oip.Fp32Request("input", [1, 4], input[(row * 4)..((row + 1) * 4)]));
            Assert.That(Oip.Floats(single!["outputs"]![0]!["data"]), Is.EqualTo(batched[(row * 3)..((row + 1) * 3)]), $"row {row}");
        }
    }

    [Test]
    public async Task Infer_EveryDatatype_RoundTripsThroughJsonAndBinary()
    {
        var inputs = new JsonArray();
        foreach (var type in SyntheticModels.AllTypesDataTypes)
        {
            inputs.Add(new JsonObject
            {
                ["name"] = SyntheticModels.AllTypesInputName(type),
                ["shape"] = new JsonArray(1, 3),
                ["datatype"] = type.ToWireName(),
                ["data"] = SampleJson(type),
            });
        }

        var (status, body) = await Oip.PostJsonAsync(_client, "/v2/models/all_types/infer", new JsonObject { ["inputs"] = inputs }.ToJsonString());
        Assert.That(status, Is.EqualTo(200), body?.ToJsonString());
        foreach (var type in SyntheticModels.AllTypesDataTypes)
        {
            var output = body!["outputs"]!.AsArray().Single(o => o!["name"]!.GetValue<string>() == SyntheticModels.AllTypesOutputName(type))!;
            Assert.That(output["datatype"]!.GetValue<string>(), Is.EqualTo(type.ToWireName()));
            Assert.That(output["data"]!.ToJsonString(), Is.EqualTo(SampleJson(type).ToJsonString()), type.ToWireName());
        }

        // The same tensors as raw bytes, every output asked back as binary: bytes in, the same bytes out.
        var binaryInputs = new JsonArray();
        var tensors = new List<byte[]>();
        foreach (var type in SyntheticModels.AllTypesDataTypes)
        {
            var bytes = SampleBytes(type);
            tensors.Add(bytes);
            binaryInputs.Add(new JsonObject
            {
                ["name"] = SyntheticModels.AllTypesInputName(type),
                ["shape"] = new JsonArray(1, 3),
                ["datatype"] = type.ToWireName(),
                ["parameters"] = new JsonObject { ["binary_data_size"] = bytes.Length },
            });
        }

        var (binaryStatus, header, binary) = await Oip.PostBinaryAsync(
            _client, "/v2/models/all_types/infer", new JsonObject { ["inputs"] = binaryInputs, ["parameters"] = new JsonObject { ["binary_data_output"] = true } }, tensors);
        Assert.That(binaryStatus, Is.EqualTo(200), header?.ToJsonString());
        for (var i = 0; i < SyntheticModels.AllTypesDataTypes.Count; i++)
        {
            var type = SyntheticModels.AllTypesDataTypes[i];
            Assert.That(binary[SyntheticModels.AllTypesOutputName(type)], Is.EqualTo(tensors[i]), type.ToWireName());
        }
    }

    [Test]
    public async Task Infer_RequestedOutputSubset_ReturnsOnlyThoseInOrderWithIdAndParameters()
    {
        const string Request = """
            {"id":"req-42","parameters":{"trace":"abc","priority":3,"debug":true},
             "inputs":[{"name":"a","shape":[1,3],"datatype":"FP32","data":[1,5,3]},
                       {"name":"b","shape":[1,3],"datatype":"FP32","data":[[4,1,1]]}],
             "outputs":[{"name":"argmax"},{"name":"sum","parameters":{"binary_data":false}}]}
            """;
        var (status, body) = await Oip.PostJsonAsync(_client, "/v2/models/multi_io/infer", Request);

        Assert.That(status, Is.EqualTo(200), body?.ToJsonString());
        Assert.That(body!["id"]!.GetValue<string>(), Is.EqualTo("req-42"));
        Assert.That(body["model_name"]!.GetValue<string>(), Is.EqualTo("multi_io"));
        Assert.That(body["model_version"]!.GetValue<string>(), Is.EqualTo("1"));
        Assert.That(body["parameters"]!["trace"]!.GetValue<string>(), Is.EqualTo("abc"));
        Assert.That(body["parameters"]!["priority"]!.GetValue<int>(), Is.EqualTo(3));
        var outputs = body["outputs"]!.AsArray();
        Assert.That(outputs.Select(o => o!["name"]!.GetValue<string>()), Is.EqualTo(new[] { "argmax", "sum" }));
        Assert.That(outputs[0]!["datatype"]!.GetValue<string>(), Is.EqualTo("INT64"));
        Assert.That(outputs[0]!["data"]![0]!.GetValue<long>(), Is.EqualTo(1), "sum is [5,6,4], so argmax is 1");
        Assert.That(Oip.Floats(outputs[1]!["data"]), Is.EqualTo(new float[] { 5, 6, 4 }));
    }

    [Test]
    public async Task Infer_RawBinaryRequest_TreatedAsTheSingleInput()
    {
        float[] input = [1, 2, 3, 4];
        using var content = new ByteArrayContent(Oip.Fp32Bytes(input));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.Add("Inference-Header-Content-Length", "0");
        using var response = await _client.PostAsync("/v2/models/float_mlp/infer", content);
        var (status, header, binary) = Oip.Split(response, await response.Content.ReadAsByteArrayAsync());

        Assert.That(status, Is.EqualTo(200), header?.ToJsonString());
        Assert.That(Oip.FromFp32Bytes(binary["probabilities"]), Is.EqualTo(FloatReference(input, 1)).Within(1e-5));
    }

    [Test]
    public async Task Infer_VersionInPath_UsesThatVersion()
    {
        var (status, body) = await Oip.PostJsonAsync(_client, "/v2/models/float_mlp/versions/1/infer", Oip.Fp32Request("input", [1, 4], [1, 2, 3, 4]));
        Assert.That(status, Is.EqualTo(200));
        Assert.That(body!["model_version"]!.GetValue<string>(), Is.EqualTo("1"));
    }

    private static IEnumerable<TestCaseData> BadRequests()
    {
        yield return new TestCaseData("/v2/models/nope/infer", Oip.Fp32Request("input", [1, 4], [1, 2, 3, 4]), 404, "unknown model 'nope'").SetName("Infer_UnknownModel_404");
        yield return new TestCaseData("/v2/models/demo/versions/7/infer", Oip.Fp32Request("input", [1, 4], [1, 2, 3, 4]), 404, "no version 7").SetName("Infer_UnknownVersion_404");
        yield return new TestCaseData("/v2/models/demo/infer", Oip.Fp32Request("inptu", [1, 4], [1, 2, 3, 4]), 400, "unknown input 'inptu'").SetName("Infer_UnknownInput_400");
        yield return new TestCaseData("/v2/models/multi_io/infer", Oip.Fp32Request("a", [1, 3], [1, 2, 3]), 400, "missing input 'b'").SetName("Infer_MissingInput_400");
        yield return new TestCaseData("/v2/models/demo/infer", Oip.Fp32Request("input", [1, 5], [1, 2, 3, 4, 5]), 400, "expects [-1,4]").SetName("Infer_ShapeMismatch_400");
        yield return new TestCaseData("/v2/models/demo/infer", """{"inputs":[{"name":"input","shape":[1,4],"datatype":"INT32","data":[1,2,3,4]}]}""", 400, "expects FP32").SetName("Infer_DatatypeMismatch_400");
        yield return new TestCaseData("/v2/models/demo/infer", Oip.Fp32Request("input", [2, 4], [1, 2, 3, 4]), 400, "needs 8").SetName("Infer_DataLengthNotShape_400");
        yield return new TestCaseData("/v2/models/demo/infer", """{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,""", 400, "malformed JSON").SetName("Infer_MalformedJson_400");
        yield return new TestCaseData("/v2/models/demo/infer", Oip.Fp32Request("input", [1, 4], [1, 2, 3, 4], ""","outputs":[{"name":"nope"}]"""), 400, "unknown output 'nope'").SetName("Infer_UnknownOutput_400");
    }

    [TestCaseSource(nameof(BadRequests))]
    public async Task Infer_BadRequest_ClearErrorAndHostKeepsServing(string path, string json, int expectedStatus, string expectedMessage)
    {
        var (status, body) = await Oip.PostJsonAsync(_client, path, json);

        Assert.That(status, Is.EqualTo(expectedStatus), body?.ToJsonString());
        Assert.That(Oip.ErrorOf(body), Does.Contain(expectedMessage));
        await AssertStillServingAsync();
    }

    [Test]
    public async Task Infer_BinaryHeaderLengthsInconsistent_400AndHostKeepsServing()
    {
        var header = new JsonObject
        {
            ["inputs"] = new JsonArray(new JsonObject { ["name"] = "input", ["shape"] = new JsonArray(1, 4), ["datatype"] = "FP32", ["parameters"] = new JsonObject { ["binary_data_size"] = 16 } }),
        };
        var (status, body, _) = await Oip.PostBinaryAsync(_client, "/v2/models/demo/infer", header, [new byte[12]]);

        Assert.That(status, Is.EqualTo(400));
        Assert.That(Oip.ErrorOf(body), Does.Contain("binary_data_size"));
        await AssertStillServingAsync();
    }

    [Test]
    public async Task Infer_HeaderLengthLargerThanBody_400()
    {
        using var content = new StringContent("{}", Encoding.UTF8, "application/octet-stream");
        content.Headers.Add("Inference-Header-Content-Length", "500");
        using var response = await _client.PostAsync("/v2/models/demo/infer", content);
        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("larger than"));
    }

    [Test]
    public async Task Infer_BodyOverConfiguredLimit_413AndHostKeepsServing()
    {
        var rows = 16384;
        var (status, body) = await Oip.PostJsonAsync(_client, "/v2/models/demo/infer", Oip.Fp32Request("input", [rows, 4], new float[rows * 4]));

        Assert.That(status, Is.EqualTo(413));
        Assert.That(Oip.ErrorOf(body), Does.Contain("limit of 65536 bytes"));

        // Without Content-Length (chunked), the limit still holds.
        using var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(Oip.Fp32Request("input", [rows, 4], new float[rows * 4]))));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/demo/infer") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using var response = await _client.SendAsync(request);
        Assert.That((int)response.StatusCode, Is.EqualTo(413));
        await AssertStillServingAsync();
    }

    [Test]
    public async Task Infer_GarbageBodies_NeverCrashTheHost()
    {
        var random = new Random(7);
        var valid = Encoding.UTF8.GetBytes(Oip.Fp32Request("input", [1, 4], [1, 2, 3, 4]));
        for (var i = 0; i < 200; i++)
        {
            var mutated = valid.ToArray();
            for (var j = 0; j < 3; j++)
            {
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            }

            using var content = new ByteArrayContent(mutated[..random.Next(1, mutated.Length + 1)]);
            using var response = await _client.PostAsync("/v2/models/demo/infer", content);
            Assert.That((int)response.StatusCode, Is.AnyOf(200, 400), await response.Content.ReadAsStringAsync());
        }

        await AssertStillServingAsync();
        Assert.That(_host.HasExited, Is.False);
    }

    private async Task AssertStillServingAsync()
    {
        var (status, body) = await Oip.PostJsonAsync(_client, "/v2/models/demo/infer", Oip.Fp32Request("input", [1, 4], [1, 2, 3, 4]));
        Assert.That(status, Is.EqualTo(200), $"the host stopped serving: {body?.ToJsonString()}");
    }

    /// <summary>The demo architecture in plain float math: relu(x·W1 + b1)·W2 + b2, softmax.</summary>
    internal static float[] FloatReference(float[] input, int rows)
    {
        var p = SyntheticModels.DemoWeights;
        var output = new float[rows * p.OutputSize];
        for (var r = 0; r < rows; r++)
        {
            var hidden = new double[p.HiddenSize];
            for (var h = 0; h < p.HiddenSize; h++)
            {
                double sum = p.Bias1[h];
                for (var i = 0; i < p.InputSize; i++)
                {
                    sum += input[(r * p.InputSize) + i] * (p.Weights1[(i * p.HiddenSize) + h] * (double)p.Weights1Scale);
                }

                hidden[h] = Math.Max(sum, 0);
            }

            var logits = new double[p.OutputSize];
            for (var o = 0; o < p.OutputSize; o++)
            {
                double sum = p.Bias2[o];
                for (var h = 0; h < p.HiddenSize; h++)
                {
                    sum += hidden[h] * (p.Weights2[(h * p.OutputSize) + o] * (double)p.Weights2Scale);
                }

                logits[o] = sum;
            }

            var max = logits.Max();
            var total = logits.Sum(l => Math.Exp(l - max));
            for (var o = 0; o < p.OutputSize; o++)
            {
                output[(r * p.OutputSize) + o] = (float)(Math.Exp(logits[o] - max) / total);
            }
        }

        return output;
    }

    private static JsonArray SampleJson(TensorDataType type) => type switch
    {
        TensorDataType.Bool => new JsonArray(true, false, true),
        TensorDataType.UInt8 => new JsonArray(0, 128, 255),
        TensorDataType.UInt16 => new JsonArray(0, 1000, 65535),
        TensorDataType.UInt32 => new JsonArray(0, 70000, 4294967295),
        TensorDataType.UInt64 => new JsonArray(0, 1, 18446744073709551615UL),
        TensorDataType.Int8 => new JsonArray(-128, 0, 127),
        TensorDataType.Int16 => new JsonArray(-32768, 7, 32767),
        TensorDataType.Int32 => new JsonArray(-2147483648, 0, 2147483647),
        TensorDataType.Int64 => new JsonArray(long.MinValue, 0, long.MaxValue),
        TensorDataType.Fp16 => new JsonArray(0.5, -2, 65504),
        TensorDataType.Bf16 => new JsonArray(1, -0.5, 256),
        TensorDataType.Fp32 => new JsonArray(1.5, -0.25, 3.4028235E+38),
        TensorDataType.Fp64 => new JsonArray(0.1, -1E-300, 1.7976931348623157E+308),
        TensorDataType.Bytes => new JsonArray("héllo", "", "edge"),
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    private static byte[] SampleBytes(TensorDataType type)
    {
        if (type == TensorDataType.Bytes)
        {
            var stream = new MemoryStream();
            foreach (var text in new[] { "héllo", "", "edge" })
            {
                var utf8 = Encoding.UTF8.GetBytes(text);
                var length = new byte[4];
                BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)utf8.Length);
                stream.Write(length);
                stream.Write(utf8);
            }

            return stream.ToArray();
        }

        if (type == TensorDataType.Bool)
        {
            return [1, 0, 1];
        }

        // Arbitrary bit patterns (NaN payloads and subnormals included) must come back untouched.
        var bytes = new byte[3 * type.ElementSize()];
        new Random((int)type + 11).NextBytes(bytes);
        return bytes;
    }
}
