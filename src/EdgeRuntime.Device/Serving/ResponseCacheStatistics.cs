namespace EdgeRuntime.Device.Serving;

/// <summary>The response cache's device-wide figures.</summary>
public sealed record ResponseCacheStatistics(int Entries, long Bytes, long MaxBytes, long Hits, long Misses, long Evictions);
