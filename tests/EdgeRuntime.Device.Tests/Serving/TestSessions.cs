using System.Runtime.InteropServices;
using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Device.Inference;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeRuntime.Device.Tests.Serving;

/// <summary>Real ONNX Runtime sessions of the generated models, and requests for them, for the serving tests.</summary>
internal sealed class TestSessions : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "edge-runtime-tests", $"serving-{Guid.NewGuid():N}");
    private readonly ModelSessionFactory _factory = new(new DeviceProfile(), cacheDirectory: null, NullLogger<ModelSessionFactory>.Instance);
    private readonly List<ModelSession> _sessions = [];

    public TestSessions()
    {
        Directory.CreateDirectory(_directory);
    }

    /// <summary>Loads <paramref name="model"/> as version <paramref name="version"/> with <paramref name="config"/>.</summary>
    public ModelSession Load(byte[] model, string name, string version = "1", ModelConfig? config = null)
    {
        var path = Path.Combine(_directory, $"{name}-{version}-{_sessions.Count}.onnx");
        File.WriteAllBytes(path, model);
        var session = _factory.Create(name, version, path);
        session.Config = config;
        _sessions.Add(session);
        return session;
    }

    public static InferenceRequest FloatRequest(string input, float[] values, long[] shape, string? id = null) =>
        new() { Id = id, Inputs = [FloatTensor(input, values, shape)] };

    public static InferenceTensor FloatTensor(string name, float[] values, long[] shape) =>
        new(name, TensorDataType.Fp32, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    public static float[] Floats(InferenceTensor tensor) => MemoryMarshal.Cast<byte, float>(tensor.Data.Span).ToArray();

    /// <summary>Readings the demo model accepts: multiples of 0.125 in [-16, 16).</summary>
    public static float[] Readings(Random random, int rows) =>
        [.. Enumerable.Range(0, rows * 4).Select(_ => random.Next(-128, 128) * 0.125f)];

    public void Dispose()
    {
        foreach (var session in _sessions)
        {
            session.Dispose();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean.
        }
    }
}
