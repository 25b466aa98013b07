using System.Text.Json.Serialization;

namespace EdgeRuntime.Contracts.Models;

/// <summary>Triton's queue policy: how many requests may wait for a batch, and for how long.</summary>
public sealed record QueuePolicyConfig
{
    /// <summary>Requests beyond this many waiting are refused with 503 and <c>Retry-After</c>.</summary>
    [JsonPropertyName("max_queue_size")]
    public int? MaxQueueSize { get; init; }

    /// <summary>A request still queued after this long is refused with 503; 0 or absent waits as long as it takes.</summary>
    [JsonPropertyName("default_timeout_microseconds")]
    public long? DefaultTimeoutMicroseconds { get; init; }

    /// <summary>Whether a request's own <c>timeout</c> parameter (microseconds) may replace the default.</summary>
    [JsonPropertyName("allow_timeout_override")]
    public bool? AllowTimeoutOverride { get; init; }
}
