using System.Text.Json.Serialization;

namespace EdgeRuntime.Contracts.Models;

/// <summary>
/// A model's configuration, the JSON form of the fields of Triton's <c>ModelConfig</c> that EdgeRuntime
/// uses: read from <c>&lt;repository&gt;/&lt;model&gt;/config.json</c> or the load call's <c>config</c> parameter.
/// </summary>
public sealed record ModelConfig
{
    public string? Name { get; init; }

    public string? Backend { get; init; }

    [JsonPropertyName("version_policy")]
    public VersionPolicyConfig? VersionPolicy { get; init; }

    /// <summary>The model file inside each version directory; <c>model.onnx</c> when absent.</summary>
    [JsonPropertyName("default_model_filename")]
    public string? DefaultModelFilename { get; init; }

    /// <summary>
    /// The largest batch (first dimension) one run may take when requests are batched together; 0 or absent
    /// means the model is not batched.
    /// </summary>
    [JsonPropertyName("max_batch_size")]
    public int? MaxBatchSize { get; init; }

    /// <summary>Present to batch concurrent requests into one run, as Triton's dynamic batcher does.</summary>
    [JsonPropertyName("dynamic_batching")]
    public DynamicBatchingConfig? DynamicBatching { get; init; }

    /// <summary>
    /// How many runs may execute at once (the first group's <c>count</c>); absent, as many as the cores
    /// allow with the profile's intra-op threads.
    /// </summary>
    [JsonPropertyName("instance_group")]
    public IReadOnlyList<InstanceGroupConfig>? InstanceGroup { get; init; }

    /// <summary>Opts the model into the device's response cache.</summary>
    [JsonPropertyName("response_cache")]
    public ResponseCacheConfig? ResponseCache { get; init; }
}
