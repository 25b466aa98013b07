using BenchmarkDotNet.Attributes;
using EdgeRuntime.Benchmarks.Codecs;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace EdgeRuntime.Benchmarks.Pipeline;

/// <summary>
/// The demo model (int8 QDQ, 4 readings in, 3 probabilities out) through the in-process pipeline: the
/// server's cost per request without HTTP, next to a raw <c>InferenceSession.Run</c> of the same model
/// under the same session options (input bound once), the model's own cost.
/// </summary>
public class DemoPipelineBenchmarks
{
    private static readonly string[] InputNames = ["input"];
    private static readonly string[] OutputNames = ["probabilities"];

    private InProcessServer _server = null!;
    private byte[] _json = [];
    private byte[] _binary = [];
    private int _binaryHeaderLength;
    private InferenceSession _session = null!;
    private OrtValue _input = null!;
    private OrtValue[] _inputs = [];
    private RunOptions _runOptions = null!;

    [GlobalSetup]
    public void Setup()
    {
        _server = InProcessServer.Start((SyntheticModels.Demo().Name, SyntheticModels.Demo().Bytes));
        float[] readings = [1, 2, 3, 4];
        _json = TensorBodies.Json(readings, "input");
        (_binary, _binaryHeaderLength) = TensorBodies.Binary(readings, "input");
        using var options = ProfileSessionOptions.Create(DeviceProfiles.Load("default"));
        _session = new InferenceSession(SyntheticModels.Demo().Bytes, options);
        _input = OrtValue.CreateTensorValueFromMemory(readings, [1, 4]);
        _inputs = [_input];
        _runOptions = new RunOptions();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _server.Dispose();
        _runOptions.Dispose();
        _input.Dispose();
        _session.Dispose();
    }

    [Benchmark]
    public int RawRun()
    {
        using var results = _session.Run(_runOptions, InputNames, _inputs, OutputNames);
        return results.Count;
    }

    [Benchmark]
    public int? Json() => Serve(_json, null);

    [Benchmark]
    public int? Binary() => Serve(_binary, _binaryHeaderLength);

    private int? Serve(byte[] body, int? headerLength)
    {
        using var output = new PooledBuffer();
        return _server.Serve("demo", body, headerLength, output);
    }
}
