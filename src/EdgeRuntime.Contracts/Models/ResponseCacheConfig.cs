namespace EdgeRuntime.Contracts.Models;

/// <summary>Triton's <c>response_cache</c> setting: answers to repeated identical requests come from the cache.</summary>
public sealed record ResponseCacheConfig
{
    public bool Enable { get; init; }
}
