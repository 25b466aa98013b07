using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Codecs;

namespace EdgeRuntime.Benchmarks.Codecs;

/// <summary>
/// Encoding a response with one FP32 output of 16 B, 64 KiB and 4 MiB as JSON and as binary, into a
/// pooled buffer as the host does.
/// </summary>
public class ResponseWriterBenchmarks
{
    private static readonly InferenceRequest JsonRequest = new() { Inputs = [] };
    private static readonly InferenceRequest BinaryRequest = new() { Inputs = [], BinaryDataOutput = true };

    private InferenceResponse _response = null!;

    [Params(16, 64 * 1024, 4 * 1024 * 1024)]
    public int TensorBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var values = TensorBodies.Elements(TensorBytes / 4);
        var bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        _response = new InferenceResponse
        {
            ModelName = "identity",
            ModelVersion = "1",
            Outputs = [new InferenceTensor("y", TensorDataType.Fp32, [1, values.Length], bytes)],
        };
    }

    [GlobalCleanup]
    public void Cleanup() => _response.Dispose();

    [Benchmark]
    public int Json()
    {
        using var output = new PooledBuffer();
        InferenceResponseWriter.Write(_response, JsonRequest, output);
        return output.Length;
    }

    [Benchmark]
    public int Binary()
    {
        using var output = new PooledBuffer();
        InferenceResponseWriter.Write(_response, BinaryRequest, output);
        return output.Length;
    }
}
