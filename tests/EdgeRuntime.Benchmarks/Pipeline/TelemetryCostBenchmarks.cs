using System.Globalization;
using BenchmarkDotNet.Attributes;
using EdgeRuntime.Benchmarks.Codecs;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Onnx;
using EdgeRuntime.Device.Telemetry;

namespace EdgeRuntime.Benchmarks.Pipeline;

/// <summary>
/// What per-request telemetry adds to the in-process pipeline: the demo model served with telemetry off,
/// and on (its metric series, plus drift detection against a baseline of its four inputs).
/// </summary>
public class TelemetryCostBenchmarks
{
    private InProcessServer _server = null!;
    private byte[] _binary = [];
    private int _binaryHeaderLength;

    [Params(false, true)]
    public bool Telemetry { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var edges = string.Join(",", Enumerable.Range(0, 11).Select(i => (-16 + (3.2 * i)).ToString(CultureInfo.InvariantCulture)));
        var features = string.Join(",", Enumerable.Range(0, 4).Select(f => $$"""{"feature":"input[{{f}}]","edges":[{{edges}}],"proportions":[{{string.Join(",", Enumerable.Repeat("0.1", 10))}}],"mean":0,"std_dev":9}"""));
        var manifest = $$$"""{"drift_baseline":{"inputs":[{{{features}}}],"rows":1000}}""";
        _server = InProcessServer.Start(
            Telemetry ? new DeviceMetrics() : null,
            [(SyntheticModels.Demo().Name, SyntheticModels.Demo().Bytes)],
            new Dictionary<string, string> { [SyntheticModels.Demo().Name] = manifest });
        (_binary, _binaryHeaderLength) = TensorBodies.Binary([1, 2, 3, 4], "input");
    }

    [GlobalCleanup]
    public void Cleanup() => _server.Dispose();

    [Benchmark]
    public int? Binary()
    {
        using var output = new PooledBuffer();
        return _server.Serve("demo", _binary, _binaryHeaderLength, output);
    }
}
