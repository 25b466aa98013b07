using System.Text.Json.Serialization;

namespace EdgeRuntime.Contracts.Models;

/// <summary>
/// Triton's <c>dynamic_batching</c> settings: requests that arrive together are run as one batch of up to
/// <c>max_batch_size</c> rows. Absent fields take the device's defaults.
/// </summary>
public sealed record DynamicBatchingConfig
{
    /// <summary>Batch sizes to run as soon as they can be formed, without waiting out the queue delay.</summary>
    [JsonPropertyName("preferred_batch_size")]
    public IReadOnlyList<int>? PreferredBatchSize { get; init; }

    /// <summary>How long the oldest queued request may wait for others to join its batch.</summary>
    [JsonPropertyName("max_queue_delay_microseconds")]
    public long? MaxQueueDelayMicroseconds { get; init; }

    [JsonPropertyName("default_queue_policy")]
    public QueuePolicyConfig? DefaultQueuePolicy { get; init; }
}
