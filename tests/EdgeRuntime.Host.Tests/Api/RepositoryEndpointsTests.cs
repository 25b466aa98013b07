using System.Text.Json.Nodes;
using EdgeRuntime.Device.Inference.Onnx;
using EdgeRuntime.Host.Tests.Infrastructure;

namespace EdgeRuntime.Host.Tests.Api;

/// <summary>Model metadata, readiness and the repository extension (index, load, unload) of a real edge-runtime process.</summary>
[NonParallelizable]
public sealed class RepositoryEndpointsTests
{
    private string _data = null!;
    private string _repository = null!;
    private EdgeRuntimeProcess _host = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartHost()
    {
        _data = TestRepository.NewDataDirectory("repository");
        _repository = TestRepository.CreateWithSyntheticModels(_data);
        TestRepository.WriteModel(_repository, "broken", 1, "this is not an onnx model"u8.ToArray());
        var profile = Path.Combine(_data, "cuda-first.json");
        File.WriteAllText(profile, """{ "name": "cuda-first", "executionProviders": ["CUDA", "CPU"] }""");
        _host = await EdgeRuntimeProcess.StartAsync(_data, ["--profile", profile]);
        _client = _host.CreateClient();
        await Wait.UntilAsync(async () => (await Oip.GetJsonAsync(_client, "/v2/models/demo/ready")).Status == 200);
    }

    [OneTimeTearDown]
    public async Task StopHost()
    {
        _client.Dispose();
        await _host.DisposeAsync();
        TestRepository.Delete(_data);
    }

    [Test]
    public async Task Metadata_WithAndWithoutVersion_DescribesTensorsProviderAndQuantization()
    {
        foreach (var path in new[] { "/v2/models/demo", "/v2/models/demo/versions/1" })
        {
            var (status, body) = await Oip.GetJsonAsync(_client, path);
            Assert.That(status, Is.EqualTo(200), body?.ToJsonString());
            Assert.That(body!["name"]!.GetValue<string>(), Is.EqualTo("demo"));
            Assert.That(body["platform"]!.GetValue<string>(), Is.EqualTo("onnx_onnxv1"));
            Assert.That(body["versions"]!.AsArray().Select(v => v!.GetValue<string>()), Is.EqualTo(new[] { "1" }));
            Assert.That(body["inputs"]![0]!.ToJsonString(), Is.EqualTo("""{"name":"input","datatype":"FP32","shape":[-1,4]}"""));
            Assert.That(body["outputs"]![0]!.ToJsonString(), Is.EqualTo("""{"name":"probabilities","datatype":"FP32","shape":[-1,3]}"""));
            Assert.That(body["parameters"]!["quantization"]!.GetValue<string>(), Is.EqualTo("QDQ"));
            Assert.That(body["parameters"]!["quantization_weight_type"]!.GetValue<string>(), Is.EqualTo("int8"));
            Assert.That(body["parameters"]!["quantization_mode"]!.GetValue<string>(), Is.EqualTo("static"));
        }
    }

    [TestCase("float_mlp", "NONE", null)]
    [TestCase("qoperator_uint8", "QOPERATOR", "uint8")]
    [TestCase("dynamic_quantized", "QOPERATOR", "int8")]
    public async Task Metadata_QuantizedModels_ReportTheirQuantization(string model, string format, string? weightType)
    {
        var (_, body) = await Oip.GetJsonAsync(_client, $"/v2/models/{model}");
        Assert.That(body!["parameters"]!["quantization"]!.GetValue<string>(), Is.EqualTo(format));
        Assert.That(body["parameters"]!["quantization_weight_type"]?.GetValue<string>(), Is.EqualTo(weightType));
    }

    [Test]
    public async Task Metadata_UnavailableProviderInProfile_FallsBackToCpuAndSaysWhy()
    {
        var (_, body) = await Oip.GetJsonAsync(_client, "/v2/models/demo");
        Assert.That(body!["parameters"]!["execution_provider"]!.GetValue<string>(), Is.EqualTo("CPU"));
        Assert.That(body["parameters"]!["execution_providers_skipped"]!.GetValue<string>(), Does.StartWith("CUDA: not in this ONNX Runtime build"));
        Assert.That(_host.Output, Does.Contain("provider CUDA skipped"));
    }

    [Test]
    public async Task Metadata_UnknownModel_404WithError()
    {
        var (status, body) = await Oip.GetJsonAsync(_client, "/v2/models/nope");
        Assert.That(status, Is.EqualTo(404));
        Assert.That(Oip.ErrorOf(body), Does.Contain("unknown model 'nope'"));
    }

    [Test]
    public async Task BrokenModel_IsNotReadyWithReason_OthersKeepServing()
    {
        var (indexStatus, index) = await Oip.PostJsonAsync(_client, "/v2/repository/index", "{}");
        Assert.That(indexStatus, Is.EqualTo(200));
        var broken = index!.AsArray().Single(e => e!["name"]!.GetValue<string>() == "broken")!;
        Assert.That(broken["state"]!.GetValue<string>(), Is.EqualTo("UNAVAILABLE"));
        Assert.That(broken["reason"]!.GetValue<string>(), Is.Not.Empty);

        var (readyStatus, ready) = await Oip.GetJsonAsync(_client, "/v2/models/broken/ready");
        Assert.That(readyStatus, Is.EqualTo(503));
        Assert.That(ready!["ready"]!.GetValue<bool>(), Is.False);
        var (serverStatus, _) = await Oip.GetJsonAsync(_client, "/v2/health/ready");
        Assert.That(serverStatus, Is.EqualTo(503), "strict readiness: a model that failed to load makes the server not ready");
        var (inferStatus, inferBody) = await Oip.PostJsonAsync(_client, "/v2/models/broken/infer", Oip.Fp32Request("input", [1, 4], [1, 2, 3, 4]));
        Assert.That(inferStatus, Is.EqualTo(503));
        Assert.That(Oip.ErrorOf(inferBody), Does.Contain("no ready version").And.Contain("Protobuf parsing failed"));

        var (demoStatus, _) = await Oip.PostJsonAsync(_client, "/v2/models/demo/infer", Oip.Fp32Request("input", [1, 4], [1, 2, 3, 4]));
        Assert.That(demoStatus, Is.EqualTo(200));
        var (readyIndexStatus, readyIndex) = await Oip.PostJsonAsync(_client, "/v2/repository/index", """{"ready":true}""");
        Assert.That(readyIndexStatus, Is.EqualTo(200));
        Assert.That(readyIndex!.AsArray().Select(e => e!["name"]!.GetValue<string>()), Does.Contain("demo").And.Not.Contain("broken"));
    }

    [Test]
    public async Task UnloadThenLoad_StopsAndResumesServing()
    {
        var (unload, _) = await Oip.PostJsonAsync(_client, "/v2/repository/models/multi_io/unload", "");
        Assert.That(unload, Is.EqualTo(200));
        var (readyStatus, _) = await Oip.GetJsonAsync(_client, "/v2/models/multi_io/ready");
        Assert.That(readyStatus, Is.EqualTo(503));
        var (_, index) = await Oip.PostJsonAsync(_client, "/v2/repository/index", "");
        Assert.That(index!.AsArray().Single(e => e!["name"]!.GetValue<string>() == "multi_io")!["reason"]!.GetValue<string>(), Is.EqualTo("unloaded"));

        var (load, loadBody) = await Oip.PostJsonAsync(_client, "/v2/repository/models/multi_io/load", "");
        Assert.That(load, Is.EqualTo(200), loadBody?.ToJsonString());
        var (readyAgain, _) = await Oip.GetJsonAsync(_client, "/v2/models/multi_io/ready");
        Assert.That(readyAgain, Is.EqualTo(200));
    }

    [Test]
    public async Task Load_UnknownModel_404_AndBrokenUpload_400WithReason()
    {
        var (status, body) = await Oip.PostJsonAsync(_client, "/v2/repository/models/ghost/load", "");
        Assert.That(status, Is.EqualTo(404), body?.ToJsonString());

        var garbage = Convert.ToBase64String("garbage"u8.ToArray());
        var (badStatus, badBody) = await Oip.PostJsonAsync(_client, "/v2/repository/models/garbage/load", $$$"""{"parameters":{"config":"{}","file:1/model.onnx":"{{{garbage}}}"}}""");
        Assert.That(badStatus, Is.EqualTo(400));
        Assert.That(Oip.ErrorOf(badBody), Does.Contain("failed to load model 'garbage'"));
    }

    [Test]
    public async Task Load_UploadedModelFileAndConfig_ServesTheNewVersion()
    {
        var model = Convert.ToBase64String(SyntheticModels.FloatMlp().Bytes);
        var request = new JsonObject
        {
            ["parameters"] = new JsonObject
            {
                ["config"] = """{"name":"uploaded","backend":"onnxruntime","version_policy":{"specific":{"versions":[3]}}}""",
                ["file:3/model.onnx"] = model,
            },
        };
        var (status, body) = await Oip.PostJsonAsync(_client, "/v2/repository/models/uploaded/load", request.ToJsonString());
        Assert.That(status, Is.EqualTo(200), body?.ToJsonString());

        var (inferStatus, infer) = await Oip.PostJsonAsync(_client, "/v2/models/uploaded/infer", Oip.Fp32Request("input", [1, 4], [1, 2, 3, 4]));
        Assert.That(inferStatus, Is.EqualTo(200));
        Assert.That(infer!["model_version"]!.GetValue<string>(), Is.EqualTo("3"));
        Assert.That(File.Exists(Path.Combine(_repository, "uploaded", "3", "model.onnx")), Is.True);
    }

    [Test]
    public async Task ReloadsAndNewVersions_WhileRequestsInFlight_LoseNone()
    {
        var statuses = new System.Collections.Concurrent.ConcurrentBag<int>();
        var versions = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var (status, body) = await Oip.PostJsonAsync(_client, "/v2/models/float_mlp/infer", Oip.Fp32Request("input", [2, 4], [1, 2, 3, 4, 4, 3, 2, 1]));
                statuses.Add(status);
                if (body?["model_version"] is { } version)
                {
                    versions.Add(version.GetValue<string>());
                }
            }
        })).ToList();

        for (var i = 0; i < 10; i++)
        {
            var (reload, reloadBody) = await Oip.PostJsonAsync(_client, "/v2/repository/models/float_mlp/load", "");
            Assert.That(reload, Is.EqualTo(200), reloadBody?.ToJsonString());
        }

        // A new version lands in the repository: the load re-scans and the latest-1 policy swaps to it under traffic.
        TestRepository.WriteModel(_repository, "float_mlp", 2, SyntheticModels.FloatMlp().Bytes);
        var (swap, _) = await Oip.PostJsonAsync(_client, "/v2/repository/models/float_mlp/load", "");
        Assert.That(swap, Is.EqualTo(200));
        await Wait.UntilAsync(() => Task.FromResult(versions.Contains("2")));
        await stop.CancelAsync();
        await Task.WhenAll(clients);

        Assert.That(statuses, Is.Not.Empty);
        Assert.That(statuses.Where(s => s != 200), Is.Empty, $"{statuses.Count} requests, {statuses.Count(s => s != 200)} failed");
        Assert.That(versions, Does.Contain("1").And.Contain("2"));
    }
}
