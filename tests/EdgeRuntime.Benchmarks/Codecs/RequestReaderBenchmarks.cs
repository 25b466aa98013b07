using BenchmarkDotNet.Attributes;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Codecs;

namespace EdgeRuntime.Benchmarks.Codecs;

/// <summary>
/// Decoding one FP32 tensor of 16 B, 64 KiB and 4 MiB from JSON, the binary tensor extension and a raw
/// binary body. The allocation column shows what grows with the tensor: binary inputs are slices of the
/// body, decoded JSON data goes to pooled buffers.
/// </summary>
public class RequestReaderBenchmarks
{
    private static readonly TensorMetadata Input = new("x", TensorDataType.Fp32, [1, -1]);

    private byte[] _json = [];
    private byte[] _binary = [];
    private int _binaryHeaderLength;
    private byte[] _raw = [];

    [Params(16, 64 * 1024, 4 * 1024 * 1024)]
    public int TensorBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var values = TensorBodies.Elements(TensorBytes / 4);
        _json = TensorBodies.Json(values);
        (_binary, _binaryHeaderLength) = TensorBodies.Binary(values);
        _raw = TensorBodies.Raw(values);
    }

    [Benchmark]
    public long Json()
    {
        using var request = InferenceRequestReader.Read(_json, inferenceHeaderLength: null);
        return request.Inputs[0].Data.Length;
    }

    [Benchmark]
    public long Binary()
    {
        using var request = InferenceRequestReader.Read(_binary, _binaryHeaderLength);
        return request.Inputs[0].Data.Length;
    }

    [Benchmark]
    public long Raw()
    {
        using var request = InferenceRequestReader.ReadRaw(_raw, Input);
        return request.Inputs[0].Data.Length;
    }
}
