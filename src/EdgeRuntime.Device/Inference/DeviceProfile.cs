using System.Text.Json.Serialization;

namespace EdgeRuntime.Device.Inference;

/// <summary>
/// A class of hardware, read from <c>devices/profiles/&lt;name&gt;.json</c>: which execution providers to try,
/// in order, and how ONNX Runtime sessions are tuned and budgeted on it.
/// </summary>
// Settable rather than init-only: source-generated JSON would overwrite the defaults of init-only properties absent from the file.
public sealed record DeviceProfile
{
    /// <summary>The profile's name, e.g. <c>generic-cpu</c> or <c>jetson-orin</c>.</summary>
    public string Name { get; set; } = "default";

    public string? Description { get; set; }

    /// <summary>Providers to try in order (TensorRT, CUDA, OpenVINO, QNN, CoreML, NNAPI, DirectML, XNNPACK, CPU, ...).</summary>
    public IReadOnlyList<string> ExecutionProviders { get; set; } = ["CPU"];

    /// <summary>Options handed to a provider, keyed by provider name, as ONNX Runtime names them (e.g. <c>device_id</c>).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ProviderOptions { get; set; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>();

    /// <summary>Threads inside one operator; 0 lets ONNX Runtime choose (one per physical core).</summary>
    public int IntraOpThreads { get; set; }

    /// <summary>Threads across independent operators; 1 runs the graph sequentially.</summary>
    public int InterOpThreads { get; set; } = 1;

    /// <summary><c>disabled</c>, <c>basic</c>, <c>extended</c> or <c>all</c>.</summary>
    public string GraphOptimizationLevel { get; set; } = "all";

    /// <summary>Keep the optimised model on disk so a restart skips graph optimisation.</summary>
    public bool OptimizedModelCache { get; set; } = true;

    /// <summary>Memory the models may use, in MiB; 0 means no budget.</summary>
    public int MemoryBudgetMb { get; set; }

    /// <summary>Disk the model store may use, in MiB; 0 means no budget.</summary>
    public int StorageBudgetMb { get; set; }

    [JsonIgnore]
    public string? SourcePath { get; set; }
}
