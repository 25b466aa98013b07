using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Inference.Onnx;
using EdgeRuntime.Host.Tests.Infrastructure;
using DataType = EdgeRuntime.Device.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeRuntime.Host.Tests.Api;

/// <summary>
/// Dynamic batching, the response cache and the statistics extension through a real edge-runtime process,
/// configured as a user would: a <c>config.json</c> beside each model.
/// </summary>
[NonParallelizable]
public sealed class BatchingAndCacheEndpointsTests
{
    private string _data = null!;
    private string _repository = null!;
    private EdgeRuntimeProcess _host = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartHost()
    {
        _data = TestRepository.NewDataDirectory("serving");
        _repository = Path.Combine(_data, "models");
        DemoModel.Write(Path.Combine(_repository, "demo", "1"));
        WriteConfiguredModel("batched", """{"max_batch_size": 8, "dynamic_batching": {"max_queue_delay_microseconds": 2000}}""");
        // "held" keeps a lone request queued for 3 s, far longer than the test needs to act on it.
        WriteConfiguredModel("held", """{"max_batch_size": 8, "dynamic_batching": {"max_queue_delay_microseconds": 3000000, "default_queue_policy": {"max_queue_size": 1}}}""");
        WriteConfiguredModel("cached", """{"response_cache": {"enable": true}}""");
        var fixedBatch = new OnnxModelBuilder("fixed").AddInput("x", DataType.Float, 1, 4).AddNode("Identity", ["x"], ["y"]).AddOutput("y", DataType.Float, 1, 4).Build();
        WriteConfiguredModel("fixed_batch", """{"dynamic_batching": {}}""", fixedBatch);
        _host = await EdgeRuntimeProcess.StartAsync(_data);
        _client = _host.CreateClient();
        // The first scan goes through the models by name; "held" comes last, so once it is ready every model, the
        // failing "fixed_batch" included, has been tried (health/ready stays 503 while fixed_batch cannot load).
        await Wait.UntilAsync(async () => (await Oip.GetJsonAsync(_client, "/v2/models/cached/ready")).Status == 200
            && (await Oip.GetJsonAsync(_client, "/v2/models/held/ready")).Status == 200);
    }

    [OneTimeTearDown]
    public async Task StopHost()
    {
        _client.Dispose();
        await _host.DisposeAsync();
        TestRepository.Delete(_data);
    }

    [Test]
    public async Task Infer_ConcurrentBurstOnBatchedModel_EveryRequestGetsTheUnbatchedAnswer()
    {
        var random = new Random(11);
        var requests = Enumerable.Range(0, 48).Select(i =>
        {
            var rows = 1 + (i % 3);
            var readings = Enumerable.Range(0, rows * 4).Select(_ => random.Next(-128, 128) * 0.125f).ToArray();
            return Oip.Fp32Request("input", [rows, 4], readings, $$""","id":"r{{i}}" """);
        }).ToList();

        var batched = await Task.WhenAll(requests.Select(r => Oip.PostJsonAsync(_client, "/v2/models/batched/infer", r)));
        var alone = await Task.WhenAll(requests.Select(r => Oip.PostJsonAsync(_client, "/v2/models/demo/infer", r)));

        for (var i = 0; i < requests.Count; i++)
        {
            Assert.That(batched[i].Status, Is.EqualTo(200), batched[i].Body?.ToJsonString());
            Assert.That(batched[i].Body!["id"]!.GetValue<string>(), Is.EqualTo($"r{i}"));
            var expected = Oip.Floats(alone[i].Body!["outputs"]![0]!["data"]);
            Assert.That(Oip.Floats(batched[i].Body!["outputs"]![0]!["data"]), Is.EqualTo(expected).Within(1e-6f), $"request {i}");
            Assert.That(batched[i].Body!["outputs"]![0]!["shape"]!.ToJsonString(), Is.EqualTo(alone[i].Body!["outputs"]![0]!["shape"]!.ToJsonString()));
        }

        var stats = (await Oip.GetJsonAsync(_client, "/v2/models/batched/stats")).Body!["model_stats"]![0]!;
        Assert.That(stats["inference_count"]!.GetValue<long>(), Is.EqualTo(requests.Count * 2), "48 requests of 1, 2 and 3 rows: 96 rows");
        Assert.That(stats["inference_stats"]!["success"]!["count"]!.GetValue<long>(), Is.EqualTo(requests.Count));
        Assert.That(stats["batch_stats"]!.AsArray().Sum(b => b!["batch_size"]!.GetValue<long>() * b["compute_infer"]!["count"]!.GetValue<long>()), Is.EqualTo(96));
    }

    [Test]
    public async Task Infer_QueueFull_Answers503WithRetryAfterAndServesTheQueuedRequest()
    {
        var queued = Oip.PostJsonAsync(_client, "/v2/models/held/infer", Oip.Fp32Request("input", [1, 4], [1, 2, 3, 4]));
        await Wait.UntilAsync(async () => await PendingAsync("held") == 1);

        using var content = new StringContent(Oip.Fp32Request("input", [1, 4], [1, 2, 3, 4]), Encoding.UTF8, "application/json");
        using var refused = await _client.PostAsync("/v2/models/held/infer", content);

        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(refused.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(1)));
        Assert.That(Oip.ErrorOf(JsonNode.Parse(await refused.Content.ReadAsStringAsync())), Does.Contain("max_queue_size"));
        var (status, body) = await queued;
        Assert.That(status, Is.EqualTo(200), "the accepted request is served, not lost");
        Assert.That(Oip.Floats(body!["outputs"]![0]!["data"]).Sum(), Is.EqualTo(1f).Within(1e-5));
    }

    [Test]
    public async Task Infer_CallerGoesAwayWhileQueued_ItsPlaceIsFreed()
    {
        using (var cancellation = new CancellationTokenSource())
        {
            using var content = new StringContent(Oip.Fp32Request("input", [1, 4], [1, 2, 3, 4]), Encoding.UTF8, "application/json");
            var abandoned = _client.PostAsync("/v2/models/held/infer", content, cancellation.Token);
            await Wait.UntilAsync(async () => await PendingAsync("held") == 1);
            var executionsBefore = await StatAsync("held", "execution_count");

            await cancellation.CancelAsync();
            Assert.That(async () => await abandoned, Throws.InstanceOf<OperationCanceledException>());
            await Wait.UntilAsync(async () => await PendingAsync("held") == 0);
            Assert.That(await StatAsync("held", "execution_count"), Is.EqualTo(executionsBefore), "the abandoned request never ran");
        }

        var (status, _) = await Oip.PostJsonAsync(_client, "/v2/models/held/infer", Oip.Fp32Request("input", [1, 4], [4, 3, 2, 1]));
        Assert.That(status, Is.EqualTo(200), "the freed place takes the next request");
    }

    [Test]
    public async Task Infer_CachedModel_HitReturnsTheSameBytesAndANewVersionNeverSeesThem()
    {
        var header = JsonNode.Parse("""{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","parameters":{"binary_data_size":16}}],"parameters":{"binary_data_output":true}}""")!.AsObject();
        byte[] input = Oip.Fp32Bytes([2.5f, -1, 0.125f, 7]);

        var miss = await Oip.PostBinaryAsync(_client, "/v2/models/cached/infer", (JsonObject)header.DeepClone(), [input]);
        var hit = await Oip.PostBinaryAsync(_client, "/v2/models/cached/infer", (JsonObject)header.DeepClone(), [input]);

        Assert.That(miss.Status, Is.EqualTo(200));
        Assert.That(hit.Status, Is.EqualTo(200));
        Assert.That(hit.Binary["probabilities"], Is.EqualTo(miss.Binary["probabilities"]));
        Assert.That(hit.Header!.ToJsonString(), Is.EqualTo(miss.Header!.ToJsonString()));
        var v1 = (await Oip.GetJsonAsync(_client, "/v2/models/cached/versions/1/stats")).Body!["model_stats"]![0]!["inference_stats"]!;
        Assert.That(v1["cache_hit"]!["count"]!.GetValue<long>(), Is.EqualTo(1));
        Assert.That(v1["cache_miss"]!["count"]!.GetValue<long>(), Is.EqualTo(1));

        TestRepository.WriteModel(_repository, "cached", 2, SyntheticModels.FloatMlp().Bytes);
        var (loadStatus, loadBody) = await Oip.PostJsonAsync(_client, "/v2/repository/models/cached/load", "{}");
        Assert.That(loadStatus, Is.EqualTo(200), loadBody?.ToJsonString());
        var afterUpgrade = await Oip.PostBinaryAsync(_client, "/v2/models/cached/infer", (JsonObject)header.DeepClone(), [input]);

        Assert.That(afterUpgrade.Header!["model_version"]!.GetValue<string>(), Is.EqualTo("2"));
        Assert.That(afterUpgrade.Binary["probabilities"], Is.Not.EqualTo(miss.Binary["probabilities"]), "v2's own answer, not v1's cached one");
        var v2 = (await Oip.GetJsonAsync(_client, "/v2/models/cached/versions/2/stats")).Body!["model_stats"]![0]!["inference_stats"]!;
        Assert.That(v2["cache_hit"]!["count"]!.GetValue<long>(), Is.Zero);
        Assert.That(v2["cache_miss"]!["count"]!.GetValue<long>(), Is.EqualTo(1));
    }

    [Test]
    public async Task Index_ModelThatCannotBeBatched_UnavailableWithTheReason()
    {
        var (status, body) = await Oip.PostJsonAsync(_client, "/v2/repository/index", "{}");

        Assert.That(status, Is.EqualTo(200));
        var entry = body!.AsArray().Single(e => e!["name"]!.GetValue<string>() == "fixed_batch")!;
        Assert.That(entry["state"]!.GetValue<string>(), Is.EqualTo("UNAVAILABLE"));
        Assert.That(entry["reason"]!.GetValue<string>(), Does.Contain("dynamic first dimension"));
    }

    [Test]
    public async Task Stats_AllModelsAndUnknownModel_AnswerAsTheExtensionSays()
    {
        var (status, body) = await Oip.GetJsonAsync(_client, "/v2/models/stats");
        var (missingStatus, missing) = await Oip.GetJsonAsync(_client, "/v2/models/nonexistent/stats");

        Assert.That(status, Is.EqualTo(200));
        var names = body!["model_stats"]!.AsArray().Select(m => m!["name"]!.GetValue<string>()).ToList();
        Assert.That(names, Does.Contain("demo").And.Contain("batched").And.Contain("held"));
        Assert.That(missingStatus, Is.EqualTo(404));
        Assert.That(Oip.ErrorOf(missing), Does.Contain("nonexistent"));
    }

    /// <summary>Writes <paramref name="model"/> (the demo model when null) as version 1 of <paramref name="name"/>, with <paramref name="config"/>.</summary>
    private void WriteConfiguredModel(string name, string config, byte[]? model = null)
    {
        var directory = Path.Combine(_repository, name);
        if (model is null)
        {
            DemoModel.Write(Path.Combine(directory, "1"));
        }
        else
        {
            TestRepository.WriteModel(_repository, name, 1, model);
        }

        File.WriteAllText(Path.Combine(directory, "config.json"), config);
    }

    private async Task<long> PendingAsync(string model) => await StatAsync(model, "pending_request_count");

    private async Task<long> StatAsync(string model, string field) =>
        (await Oip.GetJsonAsync(_client, $"/v2/models/{model}/stats")).Body!["model_stats"]![0]![field]!.GetValue<long>();
}
