using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Host.Tests.Infrastructure;

namespace EdgeRuntime.Host.Tests.Api;

/// <summary><c>GET /metrics</c> from a real edge-runtime process, checked by Prometheus's own parser.</summary>
[NonParallelizable]
public sealed class MetricsEndpointsTests
{
    private string _data = null!;
    private EdgeRuntimeProcess _host = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartHost()
    {
        _data = TestRepository.NewDataDirectory("metrics");
        DemoModel.Write(Path.Combine(_data, "models", "demo", "1"));
        _host = await EdgeRuntimeProcess.StartAsync(_data);
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
    public async Task Metrics_AfterTraffic_ParsesAsPrometheusTextAndCountsPerModelVersion()
    {
        for (var i = 0; i < 3; i++)
        {
            var (status, _) = await Oip.PostJsonAsync(_client, "/v2/models/demo/infer", Oip.Fp32Request("input", [2, 4], [1, 2, 3, 4, 5, 6, 7, 8]));
            Assert.That(status, Is.EqualTo(200));
        }

        var (wrongShape, _) = await Oip.PostJsonAsync(_client, "/v2/models/demo/infer", Oip.Fp32Request("input", [1, 3], [1, 2, 3]));
        Assert.That(wrongShape, Is.EqualTo(400));

        using var response = await _client.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/plain"));

        var (exitCode, output) = await Promtool.CheckMetricsAsync(text);
        Assert.That(exitCode, Is.Zero, $"promtool check metrics:\n{output}");

        const string demo = "model=\"demo\",version=\"1\"";
        Assert.Multiple(() =>
        {
            Assert.That(Promtool.Sample(text, $"edge_inference_request_success_total{{{demo}}}"), Is.EqualTo(3));
            Assert.That(Promtool.Sample(text, $"edge_inference_request_failure_total{{{demo},reason=\"bad_request\"}}"), Is.EqualTo(1));
            Assert.That(Promtool.Sample(text, $"edge_inference_count_total{{{demo}}}"), Is.EqualTo(3), "a model without dynamic batching counts one inference per request, as Triton does");
            Assert.That(Promtool.Sample(text, $"edge_inference_exec_count_total{{{demo}}}"), Is.EqualTo(3));
            Assert.That(Promtool.Sample(text, $"edge_inference_request_duration_seconds_count{{{demo}}}"), Is.EqualTo(3));
            Assert.That(Promtool.Sample(text, $"edge_inference_batch_size_bucket{{{demo},le=\"1\"}}"), Is.EqualTo(3));
            Assert.That(Promtool.Samples(text, "edge_model_info").Single(), Does.Contain("execution_provider=\"CPU\"").And.EndWith(" 1"));
            Assert.That(Promtool.Sample(text, "process_resident_memory_bytes"), Is.GreaterThan(0));
            Assert.That(Promtool.Sample(text, "process_cpu_seconds_total"), Is.GreaterThan(0));
        });
    }

    [Test]
    public async Task Metrics_ModelUnloaded_ItsSeriesLeave()
    {
        DemoModel.Write(Path.Combine(_data, "models", "gone", "1"));
        var (loaded, _) = await Oip.PostJsonAsync(_client, "/v2/repository/models/gone/load", "{}");
        Assert.That(loaded, Is.EqualTo(200));
        await Oip.PostJsonAsync(_client, "/v2/models/gone/infer", Oip.Fp32Request("input", [1, 4], [1, 2, 3, 4]));
        Assert.That(await _client.GetStringAsync("/metrics"), Does.Contain("model=\"gone\""));

        var (unloaded, _) = await Oip.PostJsonAsync(_client, "/v2/repository/models/gone/unload", "{}");
        Assert.That(unloaded, Is.EqualTo(200));
        Assert.That(await _client.GetStringAsync("/metrics"), Does.Not.Contain("model=\"gone\""));
    }

    [Test]
    public async Task GrafanaDashboard_EveryQuery_NamesMetricsTheDeviceExports()
    {
        var dashboard = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(SourceTree.Root, "devices", "grafana", "edge-runtime-device.json")))!;
        var expressions = dashboard["panels"]!.AsArray()
            .SelectMany(p => p!["targets"]?.AsArray() ?? [])
            .Select(t => t!["expr"]!.GetValue<string>())
            .ToList();
        Assert.That(expressions, Is.Not.Empty);

        var exposition = await _client.GetStringAsync("/metrics");
        var families = Regex.Matches(exposition, @"^# TYPE (\S+) (\S+)$", RegexOptions.Multiline)
            .SelectMany(m => m.Groups[2].Value == "histogram"
                ? new[] { m.Groups[1].Value + "_bucket", m.Groups[1].Value + "_sum", m.Groups[1].Value + "_count" }
                : [m.Groups[1].Value])
            .ToHashSet();
        var used = expressions.SelectMany(e => Regex.Matches(e, @"\b(?:edge|process|dotnet)_[a-z_]+\b").Select(m => m.Value)).ToHashSet();
        Assert.That(used.Except(families), Is.Empty, "the dashboard queries metrics /metrics does not export");
    }
}
