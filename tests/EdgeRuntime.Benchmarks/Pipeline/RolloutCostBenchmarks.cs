using BenchmarkDotNet.Attributes;
using EdgeRuntime.Benchmarks.Codecs;
using EdgeRuntime.Contracts.Sync;
using EdgeRuntime.Device.Deployment.Rollout;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Onnx;

namespace EdgeRuntime.Benchmarks.Pipeline;

/// <summary>
/// What a shadow rollout costs the callers of the in-process pipeline: the demo model's unversioned binary request
/// with no rollout, and with a shadow rollout copying 10 % of requests to a candidate (copies run by the mirror
/// worker on another thread; the caller pays the routing, the sampling and, for sampled requests, the copy).
/// </summary>
public class RolloutCostBenchmarks
{
    private InProcessServer _server = null!;
    private byte[] _binary = [];
    private int _binaryHeaderLength;

    [Params(false, true)]
    public bool Shadow { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var demo = SyntheticModels.Demo();
        _server = InProcessServer.StartWithRollout(demo.Name, demo.Bytes, Shadow ? ShadowAtTenPercent : null);
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

    private static ActiveRollout ShadowAtTenPercent(string model) => new()
    {
        Id = "benchmark",
        Model = model,
        Stable = "1",
        Candidate = "2",
        Strategy = RolloutStrategies.Shadow,
        Phase = RolloutPhases.Shadow,
        ShadowSampleRate = 0.1,

        // The benchmark measures the traffic path, not a rollback: no guardrail may end the rollout midway.
        Guardrails = new GuardrailSpec { MinRequests = int.MaxValue, MinLatencySamples = int.MaxValue, MinShadowSamples = int.MaxValue, RollbackOnDrift = false },
    };
}
