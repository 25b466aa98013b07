using System.Text.Json.Serialization;

namespace EdgeRuntime.Device.Inference;

/// <summary>
/// A class of hardware, read from <c>devices/profiles/&lt;name&gt;.json</c>: which execution providers to try,
/// in order, and how ONNX Runtime sessions are tuned and budgeted on it.
/// </summary>
public sealed record DeviceProfile
{
    /// <summary>The profile's name, e.g. <c>generic-cpu</c> or <c>jetson-orin</c>.</summary>
    public string Name { get; init; } = "default";

    public string? Description { get; init; }

    /// <summary>Providers to try in order (TensorRT, CUDA, OpenVINO, QNN, CoreML, NNAPI, DirectML, XNNPACK, CPU, ...).</summary>
    public IReadOnlyList<string> ExecutionProviders { get; init; } = ["CPU"];

    /// <summary>Options handed to a provider, keyed by provider name, as ONNX Runtime names them (e.g. <c>device_id</c>).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ProviderOptions { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>();

    /// <summary>Threads inside one operator; 0 lets ONNX Runtime choose (one per physical core).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Threads across independent operators; 1 runs the graph sequentially.</summary>
    public int InterOpThreads { get; init; } = 1;

    /// <summary><c>disabled</c>, <c>basic</c>, <c>extended</c> or <c>all</c>.</summary>
    public string GraphOptimizationLevel { get; init; } = "all";

    /// <summary>Keep the optimised model on disk so a restart skips graph optimisation.</summary>
    public bool OptimizedModelCache { get; init; } = true;

    /// <summary>Memory the models may use, in MiB; 0 means no budget.</summary>
    public int MemoryBudgetMb { get; init; }

    /// <summary>Disk the model store may use, in MiB; 0 means no budget.</summary>
    public int StorageBudgetMb { get; init; }

    [JsonIgnore]
    public string? SourcePath { get; init; }
}
