using System.Text.Json.Nodes;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Inference.Onnx;
using EdgeRuntime.Host.Tests.Infrastructure;
using DataType = EdgeRuntime.Device.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeRuntime.Host.Tests.Api;

/// <summary>
/// The device's own telemetry, end to end through a real edge-runtime process: events, metric snapshots and
/// sampled predictions in the SQLite store, and an alert that fires and resolves, reaching a real webhook.
/// </summary>
[NonParallelizable]
public sealed class EdgeEndpointsTests
{
    private const int DriftWindowRows = 200;
    private string _data = null!;
    private EdgeRuntimeProcess _host = null!;
    private HttpClient _client = null!;
    private WebhookReceiver _webhook = null!;

    [OneTimeSetUp]
    public async Task StartHost()
    {
        _data = TestRepository.NewDataDirectory("telemetry");
        DemoModel.Write(Path.Combine(_data, "models", "demo", "1"));
        // "lookup" returns table[index]: an index outside 0..3 makes ONNX Runtime fail the run, a runtime error on demand.
        var lookup = new OnnxModelBuilder("lookup")
            .AddInput("index", DataType.Int64, "n")
            .AddInitializer("table", [4], [10f, 20f, 30f, 40f])
            .AddNode("Gather", ["table", "index"], ["value"])
            .AddOutput("value", DataType.Float, "n")
            .Build();
        Directory.CreateDirectory(Path.Combine(_data, "models", "lookup", "1"));
        await File.WriteAllBytesAsync(Path.Combine(_data, "models", "lookup", "1", "model.onnx"), lookup);

        // "sensor" carries a drift baseline: each of its four input features uniform on [0, 1), ten equal bins.
        DemoModel.Write(Path.Combine(_data, "models", "sensor", "1"));
        var features = string.Join(",", Enumerable.Range(0, 4).Select(f =>
            $$"""{"feature":"input[{{f}}]","edges":[{{string.Join(",", Enumerable.Range(0, 11).Select(i => (i / 10.0).ToString(System.Globalization.CultureInfo.InvariantCulture)))}}],"proportions":[{{string.Join(",", Enumerable.Repeat("0.1", 10))}}],"mean":0.5,"std_dev":0.2887}"""));
        await File.WriteAllTextAsync(Path.Combine(_data, "models", "sensor", "1", "manifest.json"), $$$"""{"drift_baseline":{"inputs":[{{{features}}}],"rows":10000}}""");

        _webhook = await WebhookReceiver.StartAsync();
        _host = await EdgeRuntimeProcess.StartAsync(_data,
        [
            "--EdgeRuntime:Telemetry:SnapshotIntervalSeconds=0.2",
            "--EdgeRuntime:Telemetry:SamplePredictions:demo=1",
            "--EdgeRuntime:Telemetry:Alerts:EvaluationIntervalSeconds=0.1",
            $"--EdgeRuntime:Telemetry:Alerts:WebhookUrl={_webhook.Url}",
            "--EdgeRuntime:Telemetry:Alerts:Rules:0:Name=lookup_errors",
            "--EdgeRuntime:Telemetry:Alerts:Rules:0:Condition=ErrorRatePercent",
            "--EdgeRuntime:Telemetry:Alerts:Rules:0:Model=lookup",
            "--EdgeRuntime:Telemetry:Alerts:Rules:0:Threshold=50",
            "--EdgeRuntime:Telemetry:Alerts:Rules:0:ClearThreshold=10",
            "--EdgeRuntime:Telemetry:Alerts:Rules:0:MinRequests=5",
            $"--EdgeRuntime:Telemetry:Drift:WindowRows={DriftWindowRows}",
        ]);
        _client = _host.CreateClient();
        await Wait.UntilAsync(async () => (await Oip.GetJsonAsync(_client, "/v2/models/lookup/ready")).Status == 200);
        await Wait.UntilAsync(async () => (await Oip.GetJsonAsync(_client, "/v2/models/demo/ready")).Status == 200);
    }

    [OneTimeTearDown]
    public async Task StopHost()
    {
        _client.Dispose();
        await _host.DisposeAsync();
        await _webhook.DisposeAsync();
        TestRepository.Delete(_data);
    }

    [Test]
    public async Task Alerts_ErrorRateOverThresholdThenBack_FiresAndResolvesToStoreAndWebhook()
    {
        for (var i = 0; i < 6; i++)
        {
            var (status, body) = await Oip.PostJsonAsync(_client, "/v2/models/lookup/infer", Lookup(7));
            Assert.That(status, Is.EqualTo(500), body?.ToJsonString());
        }

        await Wait.UntilAsync(async () => Firing(await Alerts()).Any(a => a["alert"]!.GetValue<string>() == "lookup_errors"));
        var firing = Firing(await Alerts()).Single(a => a["alert"]!.GetValue<string>() == "lookup_errors");
        Assert.That(firing["value"]!.GetValue<double>(), Is.EqualTo(100));
        Assert.That(firing["model"]!.GetValue<string>(), Is.EqualTo("lookup"));
        Assert.That(await _client.GetStringAsync("/metrics"), Does.Contain("edge_alert_firing{alert=\"lookup_errors\",model=\"lookup\",version=\"1\"} 1"));

        for (var i = 0; i < 10; i++)
        {
            var (status, body) = await Oip.PostJsonAsync(_client, "/v2/models/lookup/infer", Lookup(2));
            Assert.That(status, Is.EqualTo(200));
            Assert.That(body!["outputs"]![0]!["data"]![0]!.GetValue<double>(), Is.EqualTo(30));
        }

        await Wait.UntilAsync(async () => !Firing(await Alerts()).Any(a => a["alert"]!.GetValue<string>() == "lookup_errors"));
        await Wait.UntilAsync(() => Task.FromResult(_webhook.Received.Count(IsLookupAlert) >= 2));
        Assert.That(_webhook.Received.Where(IsLookupAlert).Select(n => n["state"]!.GetValue<string>()), Is.EqualTo(new[] { "firing", "resolved" }));

        await Wait.UntilAsync(async () => (await Records()).Any(r => r["type"]!.GetValue<string>() == "alert_resolved"));
        var types = (await Records()).Where(r => r["model"]?.GetValue<string>() == "lookup").Select(r => r["type"]!.GetValue<string>()).ToList();
        Assert.That(types, Does.Contain("alert_firing").And.Contain("alert_resolved").And.Contain("model_loaded"));
        await Wait.UntilAsync(async () => (await Records()).Any(r => r["type"]!.GetValue<string>() == "inference_errors"));
    }

    [Test]
    public async Task Records_AfterTraffic_HoldEventsSnapshotsAndSamplesInSequence()
    {
        var (status, _) = await Oip.PostJsonAsync(_client, "/v2/models/demo/infer", Oip.Fp32Request("input", [1, 4], [0.5f, 1, 1.5f, 2], ",\"id\":\"sampled\""));
        Assert.That(status, Is.EqualTo(200));

        await Wait.UntilAsync(async () => (await Records()).Any(r => r["type"]!.GetValue<string>() == "prediction"));
        await Wait.UntilAsync(async () => (await Records()).Any(r => r["type"]!.GetValue<string>() == "metrics"
            && r["payload"]!["models"]!.AsArray().Any(m => m!["model"]!.GetValue<string>() == "demo" && m["requests"]!.GetValue<long>() > 0)));
        var records = await Records();

        var sequences = records.Select(r => r["sequence"]!.GetValue<long>()).ToList();
        Assert.That(sequences, Is.Ordered.Ascending.And.Unique);

        var loaded = records.Where(r => r["type"]!.GetValue<string>() == "model_loaded").Select(r => r["payload"]!).ToList();
        Assert.That(loaded.Select(p => p["model"]!.GetValue<string>()), Does.Contain("demo").And.Contain("lookup"));
        Assert.That(loaded.Select(p => p["execution_provider"]!.GetValue<string>()), Is.All.EqualTo("CPU"));

        var sample = records.First(r => r["type"]!.GetValue<string>() == "prediction");
        Assert.That(sample["kind"]!.GetValue<string>(), Is.EqualTo("sample"));
        Assert.That(sample["payload"]!["id"]!.GetValue<string>(), Is.EqualTo("sampled"));
        Assert.That(sample["payload"]!["inputs"]![0]!["data"]!.AsArray().Select(d => d!.GetValue<double>()), Is.EqualTo(new[] { 0.5, 1, 1.5, 2 }));
        Assert.That(sample["payload"]!["outputs"]!.AsArray(), Is.Not.Empty);

        var (telemetryStatus, telemetry) = await Oip.GetJsonAsync(_client, "/v2/edge/telemetry");
        Assert.That(telemetryStatus, Is.EqualTo(200));
        Assert.That(telemetry!["records"]!.GetValue<long>(), Is.GreaterThanOrEqualTo(records.Count));
        Assert.That(telemetry["last_sequence"]!.GetValue<long>(), Is.GreaterThanOrEqualTo(sequences.Max()));

        var metrics = await _client.GetStringAsync("/metrics");
        Assert.That(Promtool.Sample(metrics, "edge_telemetry_store_records{kind=\"event\"}"), Is.GreaterThan(0));
    }

    [Test]
    public async Task Drift_UnshiftedWindowThenShiftedWindow_OkThenAlertInApiMetricsStoreAndAlerts()
    {
        // Evenly spread values: the first window matches the baseline exactly, the second sits half a unit higher.
        await SendSensorWindowAsync(offset: 0);
        await Wait.UntilAsync(async () => SensorReport(await Drift()) is not null);
        var first = SensorReport(await Drift())!;
        Assert.That(first["state"]!.GetValue<string>(), Is.EqualTo("ok"), first.ToJsonString());
        Assert.That(first["rows"]!.GetValue<long>(), Is.EqualTo(DriftWindowRows));

        await SendSensorWindowAsync(offset: 0.5f);
        await Wait.UntilAsync(async () => SensorReport(await Drift())?["state"]!.GetValue<string>() == "alert");
        var shifted = SensorReport(await Drift())!;
        Assert.That(shifted["features"]!.AsArray().Select(f => f!["feature"]!.GetValue<string>()), Is.EquivalentTo(new[] { "input[0]", "input[1]", "input[2]", "input[3]" }));
        Assert.That(shifted["features"]!.AsArray().Select(f => f!["ks"]!.GetValue<double>()), Is.All.EqualTo(0.5).Within(0.01));

        var metrics = await _client.GetStringAsync("/metrics");
        Assert.That(Promtool.Sample(metrics, "edge_drift_state{model=\"sensor\",version=\"1\"}"), Is.EqualTo(2));
        Assert.That(Promtool.Sample(metrics, "edge_drift_psi{model=\"sensor\",version=\"1\",feature=\"input[0]\"}"), Is.GreaterThan(0.2));

        // The built-in "drift" rule (PSI over 0.2) fires on it, and both reports are in the store.
        await Wait.UntilAsync(async () => Firing(await Alerts()).Any(a => a["alert"]!.GetValue<string>() == "drift" && a["model"]!.GetValue<string>() == "sensor"));
        await Wait.UntilAsync(async () => (await Records()).Count(r => r["type"]!.GetValue<string>() == "drift_report" && r["model"]!.GetValue<string>() == "sensor") == 2);
        var stored = (await Records()).Where(r => r["type"]!.GetValue<string>() == "drift_report").ToList();
        Assert.That(stored.Select(r => r["kind"]!.GetValue<string>()), Is.All.EqualTo("drift"));
        Assert.That(stored.Select(r => r["payload"]!["state"]!.GetValue<string>()), Is.EqualTo(new[] { "ok", "alert" }));
    }

    [Test]
    public async Task Records_BadQuery_AnswersBadRequest()
    {
        var (status, body) = await Oip.GetJsonAsync(_client, "/v2/edge/telemetry/records?limit=0");
        Assert.That(status, Is.EqualTo(400));
        Assert.That(body!["error"]!.GetValue<string>(), Does.Contain("limit"));
    }

    private async Task SendSensorWindowAsync(float offset)
    {
        const int rowsPerRequest = 50;
        for (var start = 0; start < DriftWindowRows; start += rowsPerRequest)
        {
            var values = Enumerable.Range(start, rowsPerRequest)
                .SelectMany(row => Enumerable.Repeat(offset + ((row + 0.5f) / DriftWindowRows), 4))
                .ToArray();
            var (status, body) = await Oip.PostJsonAsync(_client, "/v2/models/sensor/infer", Oip.Fp32Request("input", [rowsPerRequest, 4], values));
            Assert.That(status, Is.EqualTo(200), body?.ToJsonString());
        }
    }

    private static JsonNode? SensorReport(JsonNode drift) =>
        drift["reports"]!.AsArray().FirstOrDefault(r => r!["model"]!.GetValue<string>() == "sensor");

    private async Task<JsonNode> Drift() => (await Oip.GetJsonAsync(_client, "/v2/edge/drift")).Body!;

    private static string Lookup(long index) => $$"""{"inputs":[{"name":"index","shape":[1],"datatype":"INT64","data":[{{index}}]}]}""";

    private static bool IsLookupAlert(JsonNode notification) => notification["alert"]!.GetValue<string>() == "lookup_errors";

    private static List<JsonNode> Firing(JsonNode alerts) => [.. alerts["firing"]!.AsArray().Select(a => a!)];

    private async Task<JsonNode> Alerts() => (await Oip.GetJsonAsync(_client, "/v2/edge/alerts")).Body!;

    private async Task<List<JsonNode>> Records()
    {
        var records = new List<JsonNode>();
        long after = 0;
        while (true)
        {
            var (_, body) = await Oip.GetJsonAsync(_client, $"/v2/edge/telemetry/records?after={after}&limit=1000");
            var page = body!["records"]!.AsArray().Select(r => r!).ToList();
            if (page.Count == 0)
            {
                return records;
            }

            records.AddRange(page);
            after = page[^1]["sequence"]!.GetValue<long>();
        }
    }
}
