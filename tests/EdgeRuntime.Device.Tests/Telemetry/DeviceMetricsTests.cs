using System.Text;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Onnx;
using EdgeRuntime.Device.Telemetry;
using EdgeRuntime.Device.Tests.Serving;
using Microsoft.ML.OnnxRuntime;

namespace EdgeRuntime.Device.Tests.Telemetry;

/// <summary>The Prometheus series of model versions: fed from the request path, kept across reloads, removed on unload.</summary>
public sealed class DeviceMetricsTests
{
    private TestSessions _sessions = null!;

    [SetUp]
    public void SetUp() => _sessions = new TestSessions();

    [TearDown]
    public void TearDown() => _sessions.Dispose();

    [Test]
    public async Task OnLoaded_RunsOfTheSession_AreCountedInItsSeries()
    {
        var metrics = new DeviceMetrics();
        var session = _sessions.Load(SyntheticModels.Demo().Bytes, "demo");
        metrics.OnLoaded(session);
        using var request = TestSessions.FloatRequest("input", [1, 2, 3, 4], [1, 4]);
        using (await session.RunAsync(request, "demo"))
        {
        }

        var text = await Export(metrics);
        Assert.That(text, Does.Contain("edge_inference_exec_count_total{model=\"demo\",version=\"1\"} 1"));
        Assert.That(text, Does.Contain("edge_model_provider_fallback{model=\"demo\",version=\"1\"} 0"));
    }

    [Test]
    public async Task OnRetired_ReloadThenUnload_SeriesKeepCountingThenLeave()
    {
        var metrics = new DeviceMetrics();
        var first = _sessions.Load(SyntheticModels.Demo().Bytes, "demo");
        metrics.OnLoaded(first);
        first.Statistics.Observer!.OnSuccess(1_000);

        // A reload loads the new session before it retires the old one: the series carries on.
        var reloaded = _sessions.Load(SyntheticModels.Demo().Bytes, "demo");
        metrics.OnLoaded(reloaded);
        metrics.OnRetired(first);
        reloaded.Statistics.Observer!.OnSuccess(1_000);
        Assert.That(await Export(metrics), Does.Contain("edge_inference_request_success_total{model=\"demo\",version=\"1\"} 2"));

        metrics.OnRetired(reloaded);
        Assert.That(await Export(metrics), Does.Not.Contain("model=\"demo\""));
        Assert.That(metrics.Series, Is.Empty);
    }

    [Test]
    public async Task OnLoaded_PreferredProviderFailedToStart_ReportsFallback()
    {
        var metrics = new DeviceMetrics();
        var path = Path.Combine(Path.GetTempPath(), $"fallback-{Guid.NewGuid():N}.onnx");
        await File.WriteAllBytesAsync(path, SyntheticModels.Demo().Bytes);
        try
        {
            using var session = new ModelSession(
                "demo",
                "1",
                new InferenceSession(path),
                "CPU",
                [new ProviderAttempt("XNNPACK", "not in this ONNX Runtime build"), new ProviderAttempt("CUDA", "CUDA failure 100: no CUDA-capable device", Failed: true)],
                new Dictionary<string, string>());
            metrics.OnLoaded(session);
            Assert.That(await Export(metrics), Does.Contain("edge_model_provider_fallback{model=\"demo\",version=\"1\"} 1"));
            Assert.That(metrics.Series.Single().ProviderFallback, Is.True);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public async Task OnLoaded_ProviderOnlyMissingFromTheBuild_IsNoFallback()
    {
        var metrics = new DeviceMetrics();
        var path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.onnx");
        await File.WriteAllBytesAsync(path, SyntheticModels.Demo().Bytes);
        try
        {
            using var session = new ModelSession("demo", "1", new InferenceSession(path), "CPU", [new ProviderAttempt("CUDA", "not in this ONNX Runtime build")], new Dictionary<string, string>());
            metrics.OnLoaded(session);
            Assert.That(await Export(metrics), Does.Contain("edge_model_provider_fallback{model=\"demo\",version=\"1\"} 0"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task<string> Export(DeviceMetrics metrics)
    {
        using var stream = new MemoryStream();
        await metrics.ExportAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
