using System.Text.Json.Nodes;
using EdgeRuntime.Host.Tests.Infrastructure;
using EdgeRuntime.Tests.Shared;
using Microsoft.ML.OnnxRuntime;

namespace EdgeRuntime.Host.Tests.Api;

/// <summary>A real pretrained model (PaddleOCR v4 text detection, from the npm package) served through the API.</summary>
[NonParallelizable]
public sealed class PretrainedModelTests
{
    private string _data = null!;
    private string _modelPath = null!;
    private EdgeRuntimeProcess _host = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartHost()
    {
        var models = PretrainedModels.PaddleOcr();
        _data = TestRepository.NewDataDirectory("paddleocr");
        var version = Path.Combine(_data, "models", "ocr_det", "1");
        Directory.CreateDirectory(version);
        _modelPath = Path.Combine(version, "model.onnx");
        File.Copy(Path.Combine(models, "ch_PP-OCRv4_det_infer.onnx"), _modelPath);
        _host = await EdgeRuntimeProcess.StartAsync(_data);
        await _host.WaitReadyAsync(TimeSpan.FromSeconds(120));
        _client = _host.CreateClient();
    }

    [OneTimeTearDown]
    public async Task StopHost()
    {
        _client?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (_data is not null)
        {
            TestRepository.Delete(_data);
        }
    }

    [Test]
    public async Task Metadata_PaddleOcrDetection_ReportsItsRealTensors()
    {
        var (status, body) = await Oip.GetJsonAsync(_client, "/v2/models/ocr_det");

        Assert.That(status, Is.EqualTo(200), body?.ToJsonString());
        Assert.That(body!["inputs"]![0]!.ToJsonString(), Is.EqualTo("""{"name":"x","datatype":"FP32","shape":[-1,3,-1,-1]}"""));
        Assert.That(body["outputs"]![0]!["datatype"]!.GetValue<string>(), Is.EqualTo("FP32"));
        Assert.That(body["outputs"]![0]!["shape"]!.AsArray().Count, Is.EqualTo(4));
        Assert.That(body["parameters"]!["quantization"]!.GetValue<string>(), Is.EqualTo("NONE"));
        Assert.That(body["parameters"]!["execution_provider"]!.GetValue<string>(), Is.EqualTo("CPU"));
    }

    [Test]
    public async Task Infer_PaddleOcrDetectionBinary_EqualsDirectInferenceSessionRun()
    {
        const int Side = 64;
        var image = new float[3 * Side * Side];
        for (var i = 0; i < image.Length; i++)
        {
            // A dark bar on a light page, normalised roughly as PaddleOCR expects.
            var y = i / Side % Side;
            image[i] = y is > 24 and < 40 ? -1.5f : 1.8f;
        }

        var header = new JsonObject
        {
            ["inputs"] = new JsonArray(new JsonObject { ["name"] = "x", ["shape"] = new JsonArray(1, 3, Side, Side), ["datatype"] = "FP32", ["parameters"] = new JsonObject { ["binary_data_size"] = image.Length * 4 } }),
            ["parameters"] = new JsonObject { ["binary_data_output"] = true },
        };
        var (status, response, binary) = await Oip.PostBinaryAsync(_client, "/v2/models/ocr_det/infer", header, [Oip.Fp32Bytes(image)]);
        Assert.That(status, Is.EqualTo(200), response?.ToJsonString());
        var output = response!["outputs"]![0]!;
        Assert.That(output["shape"]!.AsArray().Select(d => d!.GetValue<long>()), Is.EqualTo(new long[] { 1, 1, Side, Side }));
        var served = Oip.FromFp32Bytes(binary[output["name"]!.GetValue<string>()]);

        // The same model run directly with ONNX Runtime in this process: the API must add nothing and lose nothing.
        using var session = new InferenceSession(_modelPath);
        using var input = OrtValue.CreateTensorValueFromMemory(image, [1, 3, Side, Side]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, ["x"], [input], [session.OutputNames[0]]);
        var direct = results[0].GetTensorDataAsSpan<float>().ToArray();
        Assert.That(served, Is.EqualTo(direct).Within(1e-4));
        Assert.That(served, Has.All.InRange(0f, 1f), "the detector outputs a text probability map");
    }
}
