using BenchmarkDotNet.Attributes;
using EdgeRuntime.Benchmarks.Codecs;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Onnx;
using DataType = EdgeRuntime.Device.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeRuntime.Benchmarks.Pipeline;

/// <summary>
/// One request through the in-process pipeline (decode → <c>ModelRouter.InferAsync</c> → encode), JSON and
/// binary, on an identity model with inputs of 16 B, 64 KiB and 4 MiB: the allocation column shows what
/// a request costs and whether it grows with the tensor.
/// </summary>
public class PipelineBenchmarks
{
    private InProcessServer _server = null!;
    private byte[] _json = [];
    private byte[] _binary = [];
    private int _binaryHeaderLength;

    [Params(16, 64 * 1024, 4 * 1024 * 1024)]
    public int TensorBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _server = InProcessServer.Start(("identity", IdentityModel()));
        var values = TensorBodies.Elements(TensorBytes / 4);
        _json = TensorBodies.Json(values);
        (_binary, _binaryHeaderLength) = TensorBodies.Binary(values);
    }

    [GlobalCleanup]
    public void Cleanup() => _server.Dispose();

    [Benchmark]
    public int? Json() => Serve(_json, null);

    [Benchmark]
    public int? Binary() => Serve(_binary, _binaryHeaderLength);

    /// <summary><c>y = Identity(x)</c>, FP32 [batch, n]: one copy in ONNX Runtime, so the pipeline's own cost shows.</summary>
    private static byte[] IdentityModel() =>
        new OnnxModelBuilder("identity")
            .AddInput("x", DataType.Float, "batch", OnnxDimension.Unknown)
            .AddNode("Identity", ["x"], ["y"])
            .AddOutput("y", DataType.Float, "batch", OnnxDimension.Unknown)
            .Build();

    private int? Serve(byte[] body, int? headerLength)
    {
        using var output = new PooledBuffer();
        return _server.Serve("identity", body, headerLength, output);
    }
}
