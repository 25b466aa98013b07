using System.Text.Json;
using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Device.Deployment;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Onnx;
using EdgeRuntime.Device.Telemetry;
using EdgeRuntime.Device.Tests.Serving;
using Microsoft.Extensions.Logging.Abstractions;
using DataType = EdgeRuntime.Device.Inference.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeRuntime.Device.Tests.Deployment.Rollout;

/// <summary>
/// A real model repository on a temporary directory holding one model, <see cref="Model"/>, in five versions with the
/// same inputs and outputs (<c>x</c> FP32 [batch, 4] → <c>y</c> FP32 [batch, 3], a softmax) and a config.json whose
/// version_policy serves them all: the stable version, a candidate that answers differently, one that fails in
/// ONNX Runtime at run time, one that is far slower, and a twin of the stable version (the newest, so unversioned
/// requests outside a rollout go to it) whose drift baseline no test input resembles.
/// </summary>
internal sealed class RolloutRepository : IDisposable
{
    public const string Model = "classifier";
    public const string Stable = "1";
    public const string Different = "2";
    public const string Failing = "3";
    public const string Slow = "4";
    public const string Twin = "5";

    private const int Inputs = 4;
    private const int Classes = 3;

    private readonly string _data;

    private RolloutRepository(string data, ModelRepository repository)
    {
        _data = data;
        Repository = repository;
    }

    public ModelRepository Repository { get; }

    public static async Task<RolloutRepository> CreateAsync()
    {
        var data = Path.Combine(Path.GetTempPath(), "edge-runtime-tests", $"rollout-{Guid.NewGuid():N}");
        var root = Path.Combine(data, "models", Model);
        Write(root, Stable, Mlp(seed: 1));
        Write(root, Different, Mlp(seed: 2));
        Write(root, Failing, FailsAtRunTime());
        Write(root, Slow, SlowMlp());
        Write(root, Twin, Mlp(seed: 1));
        File.WriteAllText(Path.Combine(root, "config.json"), """{"version_policy": {"all": {}}}""");
        File.WriteAllText(Path.Combine(root, Twin, "manifest.json"), JsonSerializer.Serialize(FarAwayBaseline(), ContractsJsonContext.Default.ModelManifest));

        var options = Microsoft.Extensions.Options.Options.Create(new EdgeRuntimeOptions { DataDirectory = data, RepositoryPollSeconds = 0, InstallDemoModel = false });
        var repository = new ModelRepository(options, new ModelSessionFactory(new DeviceProfile(), null, NullLogger<ModelSessionFactory>.Instance), NullLogger<ModelRepository>.Instance);
        await repository.ScanAsync();
        var fixture = new RolloutRepository(data, repository);
        if (!repository.IsReady || repository.Find(Model)?.Count != 5)
        {
            var index = string.Join("; ", repository.Index().Select(e => $"{e.Name} {e.Version}: {e.State} {e.Reason}"));
            fixture.Dispose();
            throw new InvalidOperationException($"the rollout test models did not all load: {index}");
        }

        return fixture;
    }

    /// <summary>One row of readings in [-1, 1].</summary>
    public static InferenceRequest Request(Random random) =>
        TestSessions.FloatRequest("x", [.. Enumerable.Range(0, Inputs).Select(_ => (float)((random.NextDouble() * 2) - 1))], [1, Inputs]);

    public void Dispose()
    {
        Repository.Dispose();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean.
        }
    }

    private static void Write(string root, string version, byte[] model)
    {
        Directory.CreateDirectory(Path.Combine(root, version));
        File.WriteAllBytes(Path.Combine(root, version, "model.onnx"), model);
    }

    /// <summary><c>y = Softmax(Relu(x · W1 + b1) · W2)</c> with weights drawn from <paramref name="seed"/>.</summary>
    private static byte[] Mlp(int seed)
    {
        var random = new Random(seed);
        const int hidden = 16;
        return new OnnxModelBuilder("mlp")
            .AddInput("x", DataType.Float, "batch", Inputs)
            .AddInitializer("w1", [Inputs, hidden], Weights(random, Inputs * hidden, 1))
            .AddInitializer("b1", [hidden], Weights(random, hidden, 0.1))
            .AddInitializer("w2", [hidden, Classes], Weights(random, hidden * Classes, 1))
            .AddNode("MatMul", ["x", "w1"], ["h1"])
            .AddNode("Add", ["h1", "b1"], ["h2"])
            .AddNode("Relu", ["h2"], ["h"])
            .AddNode("MatMul", ["h", "w2"], ["logits"])
            .AddNode("Softmax", ["logits"], ["y"], OnnxAttribute.Int("axis", 1))
            .AddOutput("y", DataType.Float, "batch", Classes)
            .Build();
    }

    /// <summary>
    /// Loads fine, fails in ONNX Runtime on every run with one row: a Reshape of the 4 readings to rows of 7, which
    /// only a multiple of 7 readings can take.
    /// </summary>
    private static byte[] FailsAtRunTime()
    {
        var random = new Random(3);
        return new OnnxModelBuilder("fails")
            .AddInput("x", DataType.Float, "batch", Inputs)
            .AddInitializer("rows_of_seven", [2], [-1L, 7L])
            .AddInitializer("w", [7, Classes], Weights(random, 7 * Classes, 1))
            .AddNode("Reshape", ["x", "rows_of_seven"], ["r"])
            .AddNode("MatMul", ["r", "w"], ["logits"])
            .AddNode("Softmax", ["logits"], ["y"], OnnxAttribute.Int("axis", 1))
            .AddOutput("y", DataType.Float, "batch", Classes)
            .Build();
    }

    /// <summary>The same contract behind three dense 1024-wide layers (12 MiB of weights): tens of times slower than <see cref="Mlp"/>.</summary>
    private static byte[] SlowMlp()
    {
        var random = new Random(4);
        const int width = 1024;
        var scale = 1 / Math.Sqrt(width);
        return new OnnxModelBuilder("slow")
            .AddInput("x", DataType.Float, "batch", Inputs)
            .AddInitializer("w0", [Inputs, width], Weights(random, Inputs * width, 1))
            .AddInitializer("w1", [width, width], Weights(random, width * width, scale))
            .AddInitializer("w2", [width, width], Weights(random, width * width, scale))
            .AddInitializer("w3", [width, width], Weights(random, width * width, scale))
            .AddInitializer("w4", [width, Classes], Weights(random, width * Classes, scale))
            .AddNode("MatMul", ["x", "w0"], ["a0"])
            .AddNode("Relu", ["a0"], ["h0"])
            .AddNode("MatMul", ["h0", "w1"], ["a1"])
            .AddNode("Relu", ["a1"], ["h1"])
            .AddNode("MatMul", ["h1", "w2"], ["a2"])
            .AddNode("Relu", ["a2"], ["h2"])
            .AddNode("MatMul", ["h2", "w3"], ["a3"])
            .AddNode("Relu", ["a3"], ["h3"])
            .AddNode("MatMul", ["h3", "w4"], ["logits"])
            .AddNode("Softmax", ["logits"], ["y"], OnnxAttribute.Int("axis", 1))
            .AddOutput("y", DataType.Float, "batch", Classes)
            .Build();
    }

    /// <summary>A drift baseline of readings around 10: the readings the tests send, in [-1, 1], are far outside it.</summary>
    private static ModelManifest FarAwayBaseline()
    {
        var random = new Random(5);
        var builder = new DriftBaselineBuilder();
        for (var i = 0; i < 200; i++)
        {
            using var request = TestSessions.FloatRequest("x", [.. Enumerable.Range(0, Inputs).Select(_ => (float)(10 + random.NextDouble()))], [1, Inputs]);
            builder.AddInputs(request.Inputs);
        }

        return new ModelManifest { DriftBaseline = builder.Build("far away") };
    }

    private static float[] Weights(Random random, int count, double scale) =>
        [.. Enumerable.Range(0, count).Select(_ => (float)(((random.NextDouble() * 2) - 1) * scale))];
}
