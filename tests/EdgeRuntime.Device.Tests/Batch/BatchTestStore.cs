using System.Text.Json;
using EdgeRuntime.Contracts;
using EdgeRuntime.Contracts.Models;
using EdgeRuntime.Device.Batch;
using EdgeRuntime.Device.Inference;
using EdgeRuntime.Device.Inference.Onnx;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeRuntime.Device.Tests.Batch;

/// <summary>A temporary data directory with a model store in the host's layout, and runners over it.</summary>
internal sealed class BatchTestStore : IDisposable
{
    public BatchTestStore()
    {
        Directory.CreateDirectory(DataPath);
        Runtime = new EdgeRuntimeOptions { DataDirectory = DataPath, InstallDemoModel = false };
    }

    public string DataPath { get; } = Path.Combine(Path.GetTempPath(), "edge-runtime-tests", $"batch-{Guid.NewGuid():N}");

    public EdgeRuntimeOptions Runtime { get; }

    public string Models => Runtime.ModelRepositoryPath;

    public string BatchDirectory => Path.Combine(DataPath, "batch");

    /// <summary>The job service's own folder: its registry and the event spool.</summary>
    public string StateDirectory => Path.Combine(DataPath, "batch-state");

    /// <summary>Where jobs outside the host spool their events.</summary>
    public string Spool => Path.Combine(StateDirectory, "events");

    /// <summary>Writes <paramref name="model"/> as <c>&lt;models&gt;/&lt;name&gt;/&lt;version&gt;/model.onnx</c>, with a config.json when given.</summary>
    public string AddModel(string name, string version, byte[] model, ModelConfig? config = null)
    {
        var directory = Path.Combine(Models, name, version);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "model.onnx");
        File.WriteAllBytes(path, model);
        if (config is not null)
        {
            File.WriteAllText(Path.Combine(Models, name, "config.json"), JsonSerializer.Serialize(config, ContractsJsonContext.Default.ModelConfig));
        }

        return path;
    }

    /// <summary>The demo model ([batch, 4] int8) as <c>demo</c> version 1.</summary>
    public string AddDemo(string version = "1", ModelConfig? config = null) => AddModel("demo", version, SyntheticModels.Demo().Bytes, config);

    /// <summary>A standalone runner whose inputs come from <paramref name="input"/>.</summary>
    public BatchJobRunner Runner(TestInput input, BatchOptions? options = null, bool inHost = false) =>
        new(Runtime, options ?? new BatchOptions(), new DeviceProfile(), NullLoggerFactory.Instance, inHost, openInput: (_, _, _) => input);

    /// <summary>A job of the demo model over <c>&lt;data&gt;/rows.test</c> into <c>&lt;data&gt;/&lt;output&gt;</c>.</summary>
    public BatchJobSpec Spec(string output, string model = "demo", int? batchSize = 8, int? parallelism = 2) => new()
    {
        Model = model,
        Input = new BatchInputOptions { Path = Path.Combine(DataPath, "rows.test") },
        Output = Path.Combine(DataPath, output),
        BatchSize = batchSize,
        Parallelism = parallelism,
    };

    /// <summary>A session of the same model file with the device's default profile, for per-row reference runs.</summary>
    public static ModelSession ReferenceSession(string modelPath) =>
        new ModelSessionFactory(new DeviceProfile(), cacheDirectory: null, NullLogger<ModelSessionFactory>.Instance).Create("reference", "1", modelPath);

    public void Dispose()
    {
        try
        {
            Directory.Delete(DataPath, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean.
        }
    }
}
